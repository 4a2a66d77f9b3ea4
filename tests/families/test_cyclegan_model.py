"""CycleGAN training: the reference's losses on known values, the discriminators learning from
the pools, a few steps train all four networks, inference at any size, and config checks.
(Two replicas equal one device with the pools on: tests/families/test_conformance.py.)"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.errors import ConfigurationError
from zoo.families.cyclegan import CycleGAN

TINY = {"image_size": 16, "filters": 4, "residual_blocks": 1, "patch_layers": 1, "seed": 0}


def _images(count: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"a": rng.uniform(-1, 1, (count, 16, 16, 3)).astype("float32"),
            "b": rng.uniform(-1, 1, (count, 16, 16, 3)).astype("float32")}


def _compiled(model: CycleGAN, optimizer: str = "SGD", learning_rate: float = 0.1,
              **kwargs) -> CycleGAN:
    model.compile(**{name: keras.optimizers.get({"class_name": optimizer,
                                                 "config": {"learning_rate": learning_rate}})
                     for name in ("generator_optimizer", "discriminator_optimizer")}, **kwargs)
    return model


def _softplus(values: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, values)


REFERENCE = {  # the reference's GANLoss by hand: (real term, fake term, generator term)
    "least_squares": (lambda real: (real - 1) ** 2, lambda fake: fake ** 2,
                      lambda fake: (fake - 1) ** 2),
    "non_saturating": (lambda real: _softplus(-real), _softplus, lambda fake: _softplus(-fake)),
}


def _run(network: keras.Model, images) -> np.ndarray:
    return network(images, training=True).numpy()


@pytest.mark.parametrize("loss", sorted(REFERENCE))
def test_one_step_reports_the_reference_losses(loss):
    real_term, fake_term, generator_term = REFERENCE[loss]
    model = _compiled(CycleGAN(**TINY, loss=loss, lambda_cycle=10.0, lambda_identity=0.5,
                               pool_size=4), run_eagerly=True)
    images = _images(2)
    a, b = images["a"], images["b"]
    fake_b, fake_a = _run(model.generator_ab, a), _run(model.generator_ba, b)
    expected = {
        "g_ab": generator_term(_run(model.discriminator_b, fake_b)).mean(),
        "g_ba": generator_term(_run(model.discriminator_a, fake_a)).mean(),
        "cycle_a": np.abs(_run(model.generator_ba, fake_b) - a).mean(),
        "cycle_b": np.abs(_run(model.generator_ab, fake_a) - b).mean(),
        "identity_a": np.abs(_run(model.generator_ba, a) - a).mean(),
        "identity_b": np.abs(_run(model.generator_ab, b) - b).mean(),
        # The discriminators are updated after the generators, on this step's images (the
        # pool is still filling), with their weights as before the step.
        "d_a": 0.5 * (real_term(_run(model.discriminator_a, a)).mean()
                      + fake_term(_run(model.discriminator_a, fake_a)).mean()),
        "d_b": 0.5 * (real_term(_run(model.discriminator_b, b)).mean()
                      + fake_term(_run(model.discriminator_b, fake_b)).mean()),
    }
    expected["g_loss"] = (expected["g_ab"] + expected["g_ba"]
                          + 10.0 * (expected["cycle_a"] + expected["cycle_b"])
                          + 5.0 * (expected["identity_a"] + expected["identity_b"]))
    reported = model.train_on_batch(images, return_dict=True)
    assert reported == pytest.approx(expected, rel=1e-5)


def test_without_the_identity_loss_it_is_neither_computed_nor_counted():
    model = _compiled(CycleGAN(**TINY, lambda_identity=0.0), run_eagerly=True)
    images = _images(2)
    reported = model.train_on_batch(images, return_dict=True)
    assert reported["identity_a"] == reported["identity_b"] == 0.0
    assert reported["g_loss"] == pytest.approx(
        reported["g_ab"] + reported["g_ba"] + 10.0 * (reported["cycle_a"] + reported["cycle_b"]),
        rel=1e-5)


def test_the_discriminators_learn_from_the_pools():
    model = _compiled(CycleGAN(**TINY, pool_size=2), run_eagerly=True)
    first, second = _images(2, seed=1), _images(2, seed=2)
    stored_a = _run(model.generator_ba, first["b"])
    model.train_on_batch(first)  # fills both pools
    np.testing.assert_allclose(model.pool_a.images.numpy(), stored_a, atol=1e-6)

    # The pools are full: of the next two images, the first is swapped for the stored
    # image in slot 1, the second passes through.
    model.draw_pool_choices = lambda images: (tf.constant([True, False]), tf.constant([1, 0]))
    new_a = _run(model.generator_ba, second["b"])
    seen_a = np.stack([stored_a[1], new_a[1]])
    expected = 0.5 * (((_run(model.discriminator_a, second["a"]) - 1) ** 2).mean()
                      + (_run(model.discriminator_a, seen_a) ** 2).mean())
    reported = model.train_on_batch(second, return_dict=True)
    assert reported["d_a"] == pytest.approx(expected, rel=1e-5)
    np.testing.assert_allclose(model.pool_a.images.numpy(), [stored_a[0], new_a[0]], atol=1e-6)


def test_a_few_steps_train_all_four_networks_and_validation_reports_the_losses():
    keras.utils.set_random_seed(0)
    # Eagerly, as graph-mode fit is the conformance suite's (tests/families/test_conformance.py).
    model = _compiled(CycleGAN(**TINY, pool_size=3), "Adam", 2e-4, run_eagerly=True)
    networks = (model.generator_ab, model.generator_ba, model.discriminator_a,
                model.discriminator_b)
    before = [network.get_weights() for network in networks]
    held_out = _images(4, seed=1)
    history = model.fit(tf.data.Dataset.from_tensor_slices(_images(8)).batch(4),
                        validation_data=tf.data.Dataset.from_tensor_slices(held_out).batch(4),
                        epochs=1, verbose=0)
    names = {"g_loss", "g_ab", "g_ba", "cycle_a", "cycle_b", "identity_a", "identity_b", "d_a",
             "d_b"}
    assert set(history.history) == names | {f"val_{name}" for name in names}
    assert all(np.isfinite(values[-1]) for values in history.history.values())
    for old, network in zip(before, networks):
        assert any(not np.array_equal(a, b) for a, b in zip(old, network.get_weights())), \
            network.name
    cycled = model.b_to_a(model.a_to_b(held_out["a"])).numpy()
    assert history.history["val_cycle_a"][-1] == pytest.approx(
        np.abs(cycled - held_out["a"]).mean(), rel=1e-5)


def test_the_generators_translate_images_of_any_size_divisible_by_4():
    model = CycleGAN(**TINY)
    images = np.random.default_rng(0).uniform(-1, 1, (2, 20, 28, 3)).astype("float32")
    np.testing.assert_array_equal(model.a_to_b(images), model.generator_ab(images))
    np.testing.assert_array_equal(model(images), model.a_to_b(images))
    assert model.b_to_a(images).shape == (2, 20, 28, 3)
    assert not np.allclose(model.b_to_a(images), model.a_to_b(images))


def test_training_images_of_another_size_than_the_pools_are_refused():
    model = _compiled(CycleGAN(**TINY, pool_size=2), run_eagerly=True)
    images = {"a": np.zeros((2, 16, 16, 3), "float32"), "b": np.zeros((2, 20, 16, 3), "float32")}
    with pytest.raises(ValueError, match=r"CycleGAN\(image_size=16\) trains on images of shape "
                                         r"\(16, 16, 3\), .*; got 'b' images of shape "
                                         r"\(20, 16, 3\)\."):
        model.train_on_batch(images)


def test_config_round_trip():
    model = CycleGAN(**TINY, loss="non_saturating", lambda_cycle=5.0, lambda_identity=0.0,
                     pool_size=7)
    clone = CycleGAN.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(model))
    assert type(revived) is CycleGAN and revived.get_config() == model.get_config()
    assert [w.shape for w in revived.weights] == [w.shape for w in model.weights]
    assert revived.pool_a.images.shape == (7, 16, 16, 3)


@pytest.mark.parametrize("config, message", [
    ({"image_size": 18}, r"image_size must be a multiple of 4 .*; got 18\."),
    ({"image_size": 4}, r"image_size must be an integer >= 8; got 4\."),
    ({"image_size": 16.0}, r"image_size must be an integer >= 8; got 16\.0\."),
    ({"image_size": 16, "patch_layers": 3}, "patch_layers=3 leaves no patch to score in "
                                            "images of 16x16"),
    ({"loss": "hinge"}, "Unknown loss 'hinge'; choose one of least_squares, non_saturating"),
    ({"lambda_cycle": -1}, r"lambda_cycle must be a finite number >= 0.0; got -1\."),
    ({"lambda_identity": float("inf")},
     r"lambda_identity must be a finite number >= 0.0; got inf\."),
    ({"pool_size": -1}, r"pool_size must be an integer >= 0; got -1\."),
    ({"residual_blocks": 2.5}, r"residual_blocks must be an integer >= 0; got 2\.5\."),
    ({"filters": 0}, r"filters must be an integer >= 1; got 0\."),
    ({"patch_layers": -1}, r"patch_layers must be an integer >= 0; got -1\."),
    ({"seed": -1}, r"seed must be an integer >= 0; got -1\."),
])
def test_bad_configs_name_the_problem(config, message):
    with pytest.raises(ConfigurationError, match=message):
        CycleGAN(**config)


def test_one_optimizer_for_both_pairs_is_refused():
    optimizer = keras.optimizers.Adam(2e-4)
    with pytest.raises(ConfigurationError, match="need one optimizer each"):
        CycleGAN(**TINY).compile(generator_optimizer=optimizer,
                                 discriminator_optimizer=optimizer)
