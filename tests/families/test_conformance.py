"""What every family promises, checked the same way for each (in the spirit of keras-hub's
shared test case): it builds from its config and back, a few steps train every network, it
exports and loads back with the same weights, one step on two replicas equals the
single-device step, and a checkpointed run resumes exactly.

A new family joins by adding its `Case`: a tiny config, tiny named features as the data
layer gives them, and how to make its random draws functions of each example (so an example
draws the same on whichever replica holds it)."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.export import export_model, weight_paths
from zoo.families import get_family
from zoo.registry import DataSpec, Entry, OptimizerSpec
from zoo.runtime.train import training_state
from helpers import digit_like_images


@dataclasses.dataclass(frozen=True)
class Case:
    family: str
    config: dict[str, Any]
    features: Callable[[int], dict[str, np.ndarray]]
    control: Callable[[keras.Model], None] = lambda model: None


def _digits(count: int, size: int = 28) -> dict[str, np.ndarray]:
    images, labels = digit_like_images(count)
    return {"image": images[:, :size, :size, None], "label": labels.astype(np.int64)}


def _example_noise(values: tf.Tensor, width: int) -> tf.Tensor:
    """A fixed function of each example: the same 'draw' on whichever replica holds it."""
    features = int(np.prod(values.shape[1:]))
    flat = tf.reshape(tf.cast(values, tf.float32), [-1, features])
    projection = tf.sin(tf.reshape(tf.range(features * width, dtype=tf.float32),
                                   [features, width]))
    return tf.sin(tf.matmul(flat, projection) + 1.0)


def _control_vae(model: keras.Model) -> None:
    model.sampling.noise = lambda mean: tf.stop_gradient(tf.sin(3.0 * mean + 1.0))


def _control_gan(model: keras.Model) -> None:
    model.draw_latent = lambda reference: _example_noise(reference, model.latent_dim)


def _pairs(count: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    return {"input": rng.integers(0, 256, (count, 16, 16, 1), np.uint8),
            "target": rng.integers(0, 256, (count, 16, 16, 3), np.uint8)}


CASES = {
    "vae": Case("vae", {"image_shape": (8, 8, 1), "latent_dim": 3, "filters": (4,),
                        "hidden_units": 8}, lambda count: _digits(count, size=8), _control_vae),
    "gan": Case("gan", {"architecture": "dcgan28", "dropout": 0.0}, _digits, _control_gan),
    "conditional gan": Case("gan", {"architecture": "dcgan28", "num_classes": 4, "dropout": 0.0},
                            _digits, _control_gan),
    # Dropout off: pix2pix's only random draws, so the step is the same on any replica.
    "pix2pix": Case("pix2pix", {"image_size": 16, "input_channels": 1, "output_channels": 3,
                                "filters": 4, "patch_layers": 1, "dropout": 0.0}, _pairs),
    # Pools of 4, full within the first step, so that their draws count. The draws need no
    # control: one pool serves the global batch, with the same draws on every replica.
    "cyclegan": Case("cyclegan", {"image_size": 16, "filters": 4, "residual_blocks": 1,
                                  "patch_layers": 1, "pool_size": 4},
                     lambda count: {domain: np.random.default_rng(seed).integers(
                         0, 256, (count, 16, 16, 3), np.uint8)
                         for seed, domain in ((2, "a"), (3, "b"))}),
}


def _model(case: Case, optimizer: str = "adam", seed: int = 0) -> keras.Model:
    family = get_family(case.family)
    model = family.model_class(**case.config, seed=seed)
    make = {"adam": lambda: keras.optimizers.Adam(1e-3),
            "sgd": lambda: keras.optimizers.SGD(0.01)}[optimizer]
    model.compile(**{name: make() for name in family.optimizers})
    return model


def _batches(case: Case, count: int = 8, batch_size: int = 8) -> tf.data.Dataset:
    family = get_family(case.family)
    features = {name: tf.constant(value) for name, value in case.features(count).items()}
    prepared = family.preprocess(features, tf.constant([0, 1], tf.int64))
    return tf.data.Dataset.from_tensor_slices(prepared).batch(batch_size)


def _networks(model: keras.Model) -> dict[str, list]:
    return {name: [variable.numpy() for variable in variables]
            for name, (_, variables) in model.optimizer_targets().items()}


@pytest.fixture(params=list(CASES), ids=list(CASES))
def case(request) -> Case:
    return CASES[request.param]


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
    history = model.fit(_batches(case, count=16, batch_size=8), epochs=1, verbose=0)
    assert history.history and all(np.isfinite(values[-1])
                                   for values in history.history.values())
    for name, values in _networks(model).items():
        assert any(not np.array_equal(a, b) for a, b in zip(before[name], values)), name


def test_export_and_load_round_trip_with_the_same_weights(case, tmp_path):
    model = _model(case)
    model.fit(_batches(case), epochs=1, verbose=0)
    entry = Entry(name=f"tiny_{case.family}", description="tiny", family=case.family,
                  model_config=case.config, data=DataSpec("mnist"), epochs=1, batch_size=8,
                  optimizers={name: OptimizerSpec(1e-3)
                              for name in get_family(case.family).optimizers})
    loaded = zoo.load(export_model(model, entry, tmp_path))
    declared = [signature.name for signature in get_family(case.family).signatures(model)]
    assert list(loaded.signatures) == declared
    assert loaded.metadata["serving_default"] == declared[0]
    rebuilt = loaded.keras_model()
    for mine, theirs in zip(rebuilt.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(mine, theirs)


def _one_step(case: Case, strategy: tf.distribute.Strategy, weights: list) -> list:
    with strategy.scope():
        model = _model(case, optimizer="sgd")
        model.set_weights(weights)
        case.control(model)
    model.fit(_batches(case), epochs=1, verbose=0)
    return model.get_weights()


def test_two_replicas_apply_the_single_device_update(case, mirrored):
    initial = _model(case).get_weights()
    single = _one_step(case, tf.distribute.get_strategy(), initial)
    split = _one_step(case, mirrored, initial)
    assert max(np.abs(a - b).max() for a, b in zip(single, initial)
               if a.dtype.kind == "f") > 1e-4
    for one, other in zip(single, split):
        np.testing.assert_allclose(other, one, rtol=1e-4, atol=1e-5)


def _checkpoint(model: keras.Model) -> tf.train.Checkpoint:
    return tf.train.Checkpoint(**training_state(model))


def test_a_checkpointed_model_resumes_exactly(case, tmp_path):
    data = _batches(case, count=16, batch_size=8)
    straight = _model(case, seed=3)
    initial = straight.get_weights()
    straight.fit(data, epochs=2, verbose=0)

    first = _model(case, seed=3)
    first.set_weights(initial)
    first.fit(data, epochs=1, verbose=0)
    path = _checkpoint(first).save(str(tmp_path / "ckpt"))
    resumed = _model(case, seed=99)
    _checkpoint(resumed).restore(path).assert_existing_objects_matched()
    resumed.fit(data, epochs=1, verbose=0)
    for mine, theirs in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
