"""What every family promises, checked the same way for each (in the spirit of keras-hub's
shared test case): it builds from its config and back, a few steps train every network, it
exports and loads back with the same weights, one step on two replicas equals the
single-device step, and a checkpointed run resumes exactly.

The cases come from the families themselves (`zoo.families.testing.family_cases`): a family
joins these tests by writing its `case` module."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.export import export_model
from zoo.export_format import weight_paths
from zoo.families import get_family
from zoo.families.testing import FamilyCase, family_cases
from zoo.optimizers import WeightAverage
from zoo.runtime.train import training_state

CASES = family_cases()


def _model(case: FamilyCase, optimizer: str = "adam", seed: int = 0, eager: bool = True
           ) -> keras.Model:
    """The case's model, compiled with one optimizer per network. Its steps run eagerly unless
    asked otherwise: for a few steps of a tiny model, tracing costs more than the steps."""
    family = get_family(case.family)
    model = family.model_class(**case.config, seed=seed)
    make = {"adam": lambda: keras.optimizers.Adam(1e-3),
            "sgd": lambda: keras.optimizers.SGD(0.01)}[optimizer]
    model.compile(**{name: make() for name in family.optimizers}, run_eagerly=eager)
    return model


def _networks(model: keras.Model) -> dict[str, list]:
    return {name: [variable.numpy() for variable in variables]
            for name, (_, variables) in model.optimizer_targets().items()}


@pytest.fixture(params=CASES, ids=[case.name for case in CASES])
def case(request) -> FamilyCase:
    return request.param


def test_the_config_round_trips(case):
    model = _model(case)
    clone = type(model).from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    assert [v.shape for v in clone.variables] == [v.shape for v in model.variables]
    assert weight_paths(clone) == weight_paths(model)


def test_a_few_steps_change_every_network_and_report_finite_metrics(case):
    keras.utils.set_random_seed(0)
    model = _model(case)
    before = _networks(model)
    history = model.fit(case.batches(count=16, batch_size=8), epochs=1, verbose=0)
    assert history.history and all(np.isfinite(values[-1])
                                   for values in history.history.values())
    for name, values in _networks(model).items():
        assert any(not np.array_equal(a, b) for a, b in zip(before[name], values)), name


def test_export_and_load_round_trip_with_the_same_weights(case, tmp_path):
    model = _model(case)
    model.fit(case.batches(), epochs=1, verbose=0)
    loaded = zoo.load(export_model(model, case.entry(), tmp_path))
    declared = [signature.name for signature in get_family(case.family).signatures(model)]
    assert list(loaded.signatures) == declared
    assert loaded.metadata["serving_default"] == declared[0]
    rebuilt = loaded.keras_model()
    for mine, theirs in zip(rebuilt.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(mine, theirs)


def _training_state(model: keras.Model, strategy: tf.distribute.Strategy) -> list[list]:
    """Each variable of the state a family trains with but does not export (CycleGAN's image
    pools), as each replica holds it."""
    return [[value.numpy() for value in strategy.experimental_local_results(variable)]
            for trackable in getattr(model, "training_state", dict)().values()
            for variable in trackable.variables]


def _one_step(case: FamilyCase, strategy: tf.distribute.Strategy, weights: list
              ) -> tuple[list, list, dict]:
    with strategy.scope():
        # The replicated step as fit() runs it, in a tf.function.
        model = _model(case, optimizer="sgd", eager=strategy is tf.distribute.get_strategy())
        model.set_weights(weights)
        case.control(model)
    history = model.fit(case.batches(), epochs=1, verbose=0)
    return (model.get_weights(), _training_state(model, strategy),
            {key: values[-1] for key, values in history.history.items()})


def test_two_replicas_apply_the_single_device_update(case, mirrored):
    # A plain compile in the strategy's scope and fit, as a user writes them; one step of 8.
    initial = _model(case).get_weights()
    single, single_state, single_metrics = _one_step(case, tf.distribute.get_strategy(),
                                                     initial)
    split, split_state, split_metrics = _one_step(case, mirrored, initial)
    assert max(np.abs(a - b).max() for a, b in zip(single, initial)
               if a.dtype.kind == "f") > 1e-4
    for one, other in zip(single, split):
        np.testing.assert_allclose(other, one, rtol=1e-4, atol=1e-5)
    # State outside the weights is the same on every replica as on one device.
    for [one], replicas in zip(single_state, split_state):
        assert len(replicas) == mirrored.num_replicas_in_sync
        for other in replicas:
            np.testing.assert_allclose(other, one, rtol=1e-4, atol=1e-5)
    assert split_metrics.keys() == single_metrics.keys()
    for key, value in single_metrics.items():
        assert split_metrics[key] == pytest.approx(value, rel=1e-4), key


def _checkpoint(model: keras.Model, average: WeightAverage | None) -> tf.train.Checkpoint:
    return tf.train.Checkpoint(**training_state(model, average))


def _average(case: FamilyCase, model: keras.Model) -> WeightAverage | None:
    """The moving average of the weights the family's runs keep and export, if it keeps one."""
    decay = get_family(case.family).ema_decay
    return None if decay is None else WeightAverage(model, decay)


def test_a_checkpointed_model_resumes_exactly(case, tmp_path):
    # With the family's moving average of the weights, if it keeps one: a resumed run goes on
    # averaging from the checkpointed average.
    data = case.batches(count=16, batch_size=8)
    straight = _model(case, seed=3)
    initial = straight.get_weights()
    straight_average = _average(case, straight)
    callbacks = [straight_average] if straight_average else []
    straight.fit(data, epochs=2, verbose=0, callbacks=callbacks)

    first = _model(case, seed=3)
    first.set_weights(initial)
    first_average = _average(case, first)
    first.fit(data, epochs=1, verbose=0, callbacks=[first_average] if first_average else [])
    path = _checkpoint(first, first_average).save(str(tmp_path / "ckpt"))
    resumed = _model(case, seed=99)
    resumed_average = _average(case, resumed)
    _checkpoint(resumed, resumed_average).restore(path).assert_existing_objects_matched()
    resumed.fit(data, epochs=1, verbose=0,
                callbacks=[resumed_average] if resumed_average else [])
    for mine, theirs in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    if straight_average is not None:
        for mine, theirs in zip(resumed_average.averages, straight_average.averages):
            np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
        # The average moved away from the trained weights: it is a state of its own.
        assert any(np.abs(average.numpy() - weight.numpy()).max() > 1e-6
                   for average, weight in zip(straight_average.averages,
                                              straight_average.averaged))
