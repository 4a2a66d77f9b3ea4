"""Per-network optimizers from their specs, the step-based schedules (before and after a
resume), and the errors of a spec Keras cannot build."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.errors import ConfigurationError
from zoo.families import get_family
from zoo.optimizers import (SCHEDULES, Constant, ConstantThenLinearDecay, CosineDecay,
                            LinearWarmup, make_optimizers)
from zoo.registry import ENTRIES, DataSpec, Entry, OptimizerSpec
from zoo.runtime.train import run_defining_flags

NAMES = ("generator_optimizer", "discriminator_optimizer")


def _entry(schedule: str = "constant", **fields) -> Entry:
    fields.setdefault("optimizers", {"generator_optimizer": OptimizerSpec(2e-4, beta_1=0.5),
                                     "discriminator_optimizer": OptimizerSpec(1e-4, beta_2=0.99)})
    return Entry(name="toy", description="toy", family="gan", model_config={},
                 data=DataSpec("mnist"), epochs=4, batch_size=2, schedule=schedule, **fields)


def _steps(optimizer: keras.optimizers.Optimizer, variable: keras.Variable, count: int) -> None:
    for _ in range(count):
        optimizer.apply_gradients([(tf.ones_like(variable), variable)])


def _rates(entry: Entry, steps: tuple[int, ...], steps_per_epoch: int = 5, epochs: int = 4
           ) -> list[float]:
    schedule = make_optimizers(entry, NAMES, steps_per_epoch, epochs)[NAMES[0]]._learning_rate
    return [float(schedule(step)) for step in steps]


def test_each_network_gets_its_declared_settings_or_the_override():
    optimizers = make_optimizers(_entry("constant"), NAMES, steps_per_epoch=5, epochs=4)
    generator = optimizers["generator_optimizer"]
    discriminator = optimizers["discriminator_optimizer"]
    assert type(generator) is keras.optimizers.Adam
    assert float(generator.learning_rate) == pytest.approx(2e-4) and generator.beta_1 == 0.5
    assert float(discriminator.learning_rate) == pytest.approx(1e-4)
    assert discriminator.beta_2 == 0.99
    overridden = make_optimizers(_entry("constant"), NAMES, 5, 4, learning_rate_override=1e-3)
    assert all(float(optimizer.learning_rate) == pytest.approx(1e-3)
               for optimizer in overridden.values())
    # The override is the initial rate of any schedule, behind its warm-up.
    warmed = make_optimizers(_entry("cosine_decay", warmup_steps=2), NAMES, 5, 4,
                             learning_rate_override=1e-3)
    assert [float(optimizer._learning_rate(0)) for optimizer in warmed.values()] == [
        pytest.approx(5e-4)] * 2


def test_an_entry_can_name_any_keras_optimizer_with_its_arguments():
    adamw = OptimizerSpec(1e-3, optimizer="AdamW", weight_decay=1e-4)
    sgd = OptimizerSpec(0.1, optimizer="SGD", momentum=0.9, nesterov=True)
    optimizers = make_optimizers(
        _entry(optimizers={"generator_optimizer": adamw, "discriminator_optimizer": sgd}),
        NAMES, 5, 4)
    generator, discriminator = optimizers["generator_optimizer"], optimizers[NAMES[1]]
    assert type(generator) is keras.optimizers.AdamW and generator.weight_decay == 1e-4
    assert float(generator.learning_rate) == pytest.approx(1e-3)
    assert type(discriminator) is keras.optimizers.SGD and discriminator.nesterov
    assert generator.name == "generator_optimizer"
    assert adamw.config() == {"optimizer": "AdamW", "learning_rate": 1e-3, "weight_decay": 1e-4}
    assert str(sgd) == "SGD(learning_rate=0.1, momentum=0.9, nesterov=True)"


def test_linear_decay_holds_for_half_the_epochs_then_reaches_zero_at_the_end():
    optimizer = make_optimizers(_entry("linear_decay"), NAMES, steps_per_epoch=5,
                                epochs=4)["generator_optimizer"]
    schedule = optimizer._learning_rate
    assert isinstance(schedule, ConstantThenLinearDecay)
    values = [float(schedule(step)) for step in (0, 9, 10, 15, 19, 20)]
    np.testing.assert_allclose(values, [2e-4, 2e-4, 2e-4, 1e-4, 2e-5, 0.0], atol=1e-12)


def test_cosine_decay_falls_to_its_floor_over_the_whole_run():
    entry = _entry("cosine_decay", schedule_options={"floor": 0.1})
    # 20 steps: halfway the rate is midway between the initial rate and the floor.
    np.testing.assert_allclose(_rates(entry, (0, 5, 10, 15, 20, 30)),
                               [2e-4, 1.7364e-4, 1.1e-4, 0.4636e-4, 2e-5, 2e-5], rtol=1e-3)
    np.testing.assert_allclose(_rates(_entry("cosine_decay"), (10, 20)), [1e-4, 0.0],
                               atol=1e-12)


@pytest.mark.parametrize("schedule, expected", [
    ("constant", [0.5e-4, 1e-4, 2e-4, 2e-4, 2e-4]),
    ("linear_decay", [0.5e-4, 1e-4, 2e-4, 2e-4, 2e-5]),
    ("cosine_decay", [0.5e-4, 0.99384e-4, 1.89101e-4, 1.70711e-4, 1.2312e-6]),
])
def test_a_warmup_ramps_up_the_first_steps_of_any_schedule(schedule, expected):
    # Four warm-up steps take 1/4, 2/4, 3/4 and all of the schedule's rate at their step.
    np.testing.assert_allclose(_rates(_entry(schedule, warmup_steps=4), (0, 1, 3, 5, 19)),
                               expected, rtol=1e-4)


def test_a_constant_rate_without_warmup_stays_the_optimizers_own_variable():
    # The optimizer state of constant-rate runs is what it was: resumable checkpoints.
    optimizer = make_optimizers(_entry("constant"), NAMES, 5, 4)["generator_optimizer"]
    optimizer.build([keras.Variable(np.zeros(2, "float32"))])
    assert [variable.name for variable in optimizer.variables][:2] == ["iteration",
                                                                      "learning_rate"]
    warmed = make_optimizers(_entry("constant", warmup_steps=3), NAMES, 5, 4)[NAMES[0]]
    assert isinstance(warmed._learning_rate, LinearWarmup)


@pytest.mark.parametrize("schedule", [Constant(0.5), ConstantThenLinearDecay(1.0, 4, 2),
                                      CosineDecay(1.0, 10, floor=0.2),
                                      LinearWarmup(CosineDecay(1.0, 10, floor=0.2), 3)],
                         ids=lambda schedule: type(schedule).__name__)
def test_every_schedule_is_a_serialisable_keras_object(schedule):
    optimizer = keras.optimizers.AdamW(schedule)
    rebuilt = keras.optimizers.AdamW.from_config(optimizer.get_config())._learning_rate
    assert type(rebuilt) is type(schedule) and rebuilt.get_config() == schedule.get_config()
    steps = (0, 2, 5, 12)
    assert [float(rebuilt(step)) for step in steps] == [float(schedule(step)) for step in steps]


def test_the_runtime_asks_the_schedule_whether_the_run_keeps_its_epochs():
    for name, schedule in SCHEDULES.items():
        assert schedule.name == name and schedule.description
        assert ("epochs" in run_defining_flags(_entry(name))) == schedule.depends_on_run_length
    assert not SCHEDULES["constant"].depends_on_run_length
    assert SCHEDULES["linear_decay"].depends_on_run_length
    assert SCHEDULES["cosine_decay"].depends_on_run_length


def test_every_entry_of_the_registry_makes_its_optimizers():
    # The registry is read without Keras: this is where its optimizer classes, arguments
    # and schedules meet Keras.
    for entry in ENTRIES.values():
        names = get_family(entry.family).optimizers
        assert set(make_optimizers(entry, names, steps_per_epoch=3, epochs=2)) == set(names)


@pytest.mark.parametrize("make, message", [
    (lambda: OptimizerSpec(0.0), "OptimizerSpec(0.0): the learning rate must be a positive "
                                 "number; got 0.0."),
    (lambda: OptimizerSpec(float("nan")), "the learning rate must be a positive number"),
    (lambda: OptimizerSpec("AdamW"), "the learning rate must be a positive number; got 'AdamW'"),
    (lambda: OptimizerSpec(1e-3, optimizer="keras.optimizers.AdamW"),
     "optimizer must name a class of keras.optimizers (e.g. 'AdamW'); got "
     "'keras.optimizers.AdamW'."),
    (lambda: OptimizerSpec(1e-3, name="g"), "leave out name; the runtime names each optimizer "
                                            "after its network."),
    (lambda: OptimizerSpec(1e-3, optimizer="AdamW", use_ema=True, ema_momentum=0.9),
     "OptimizerSpec(0.001, optimizer='AdamW', use_ema=True, ema_momentum=0.9): an entry "
     "averages its weights with Entry.ema_decay (e.g. ema_decay=0.999), not with the "
     "optimizer's ema_momentum, use_ema."),
    (lambda: _entry("cosine decay"), "schedule must name a schedule of zoo.optimizers.SCHEDULES "
                                     "(e.g. 'cosine_decay'); got 'cosine decay'."),
    (lambda: _entry(warmup_steps=-1), "warmup_steps must be a whole number of steps, 0 for no "
                                      "warm-up; got -1."),
    (lambda: _entry(ema_decay=1.0), "ema_decay must be between 0 and 1 (e.g. 0.999), or None "
                                    "for no average; got 1.0."),
])
def test_a_spec_or_entry_that_cannot_work_is_refused_when_made(make, message):
    with pytest.raises(ConfigurationError) as error:
        make()
    assert message in str(error.value)


@pytest.mark.parametrize("fields, message", [
    ({"optimizers": {name: OptimizerSpec(1e-3, optimizer="AdamX") for name in NAMES}},
     "Entry toy, generator_optimizer: OptimizerSpec(0.001, optimizer='AdamX') names no "
     "optimizer of keras.optimizers; name one of Adadelta, Adafactor, Adagrad, Adam, AdamW,"),
    ({"optimizers": {name: OptimizerSpec(1e-3, optimizer="AdamW", weight_decy=1e-4)
                     for name in NAMES}},
     "Entry toy, generator_optimizer: keras.optimizers.AdamW takes no argument weight_decy "
     "(OptimizerSpec(0.001, optimizer='AdamW', weight_decy=0.0001)); its arguments are: "
     "weight_decay, beta_1, beta_2,"),
    ({"optimizers": {NAMES[0]: OptimizerSpec(1e-3)}},
     "Entry toy declares no settings for ['discriminator_optimizer']."),
    ({"schedule": "step_decay"}, "Entry toy: unknown schedule 'step_decay'; name one of "
                                 "constant, linear_decay, cosine_decay."),
    ({"schedule": "cosine_decay", "schedule_options": {"flor": 0.1}},
     "Entry toy: schedule cosine_decay has no option flor; its options are: floor."),
    ({"schedule_options": {"floor": 0.1}},
     "Entry toy: schedule constant has no option floor; its options are: none."),
    ({"schedule": "cosine_decay", "schedule_options": {"floor": 2.0}},
     "cosine_decay's floor is the last rate as a fraction of the initial one, between 0 and "
     "1; got 2.0."),
])
def test_what_keras_cannot_build_is_refused_with_the_fix(fields, message):
    with pytest.raises(ConfigurationError) as error:
        make_optimizers(_entry(**fields), NAMES, steps_per_epoch=5, epochs=4)
    assert message in str(error.value)


def test_a_restored_optimizer_continues_the_schedule_where_it_stopped(tmp_path):
    variable = keras.Variable(np.zeros(3, "float32"))
    optimizer = make_optimizers(_entry("linear_decay"), NAMES, 5, 4)["generator_optimizer"]
    optimizer.build([variable])
    _steps(optimizer, variable, 12)
    path = tf.train.Checkpoint(optimizer=list(optimizer.variables)).save(str(tmp_path / "ckpt"))
    expected_now = float(optimizer.learning_rate)
    _steps(optimizer, variable, 3)
    expected_later = float(optimizer.learning_rate)

    restored = make_optimizers(_entry("linear_decay"), NAMES, 5, 4)["generator_optimizer"]
    other = keras.Variable(np.zeros(3, "float32"))
    restored.build([other])
    assert float(restored.learning_rate) == pytest.approx(2e-4)  # a fresh one starts at step 0
    tf.train.Checkpoint(optimizer=list(restored.variables)).restore(path).assert_consumed()
    assert int(restored.iterations) == 12
    assert float(restored.learning_rate) == pytest.approx(expected_now) == pytest.approx(1.6e-4)
    _steps(restored, other, 3)
    assert float(restored.learning_rate) == pytest.approx(expected_later)
