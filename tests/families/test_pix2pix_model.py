"""pix2pix training: the paper's losses on known values, the L1-only ablation, a few steps train
both networks, replicas' own dropout masks, inference and config checks. (Two replicas equal
one device: tests/families/test_conformance.py.)"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.errors import ConfigurationError
from zoo.families.pix2pix import Pix2Pix

TINY = {"image_size": 16, "input_channels": 1, "output_channels": 3, "filters": 4,
        "patch_layers": 1, "seed": 0}


def _pairs(count: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"input": rng.uniform(-1, 1, (count, 16, 16, 1)).astype("float32"),
            "target": rng.uniform(-1, 1, (count, 16, 16, 3)).astype("float32")}


def _compiled(model: Pix2Pix, optimizer: str = "SGD", learning_rate: float = 0.1,
              **kwargs) -> Pix2Pix:
    model.compile(generator_optimizer=keras.optimizers.get(
                      {"class_name": optimizer, "config": {"learning_rate": learning_rate}}),
                  discriminator_optimizer=keras.optimizers.get(
                      {"class_name": optimizer, "config": {"learning_rate": learning_rate}}),
                  **kwargs)
    return model


def _per_example_mean(values: np.ndarray) -> np.ndarray:
    return values.reshape(len(values), -1).mean(axis=1)


def _softplus(values: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, values)


ADVERSARIAL = {  # (discriminator's real and fake terms, generator's term), by hand
    "non_saturating": (lambda real: _softplus(-real), _softplus, lambda fake: _softplus(-fake)),
    "least_squares": (lambda real: 0.5 * (real - 1) ** 2, lambda fake: 0.5 * fake ** 2,
                      lambda fake: 0.5 * (fake - 1) ** 2),
}


@pytest.mark.parametrize("loss", sorted(ADVERSARIAL))
def test_one_step_reports_the_papers_losses(loss):
    real_term, fake_term, generator_term = ADVERSARIAL[loss]
    model = _compiled(Pix2Pix(**TINY, loss=loss, lambda_l1=10.0, lambda_gan=2.0, dropout=0.0),
                      run_eagerly=True)
    pairs = _pairs(4)
    source, target = tf.constant(pairs["input"]), tf.constant(pairs["target"])
    # Training-mode forward passes normalise with the batch's statistics, as the step does.
    fake = model.generator(source, training=True)
    real_scores = model.discriminator([source, target], training=True).numpy()
    fake_scores = model.discriminator([source, fake], training=True).numpy()
    generator_before = model.generator.get_weights()

    reported = model.train_on_batch(pairs, return_dict=True)

    d_loss = 0.5 * (_per_example_mean(real_term(real_scores))
                    + _per_example_mean(fake_term(fake_scores)))
    assert reported["d_loss"] == pytest.approx(d_loss.mean(), rel=1e-5)
    # The generator is scored through the same G(x) by the discriminator just updated.
    updated_scores = model.discriminator([source, fake], training=True).numpy()
    assert not np.allclose(updated_scores, fake_scores)
    g_gan = _per_example_mean(generator_term(updated_scores)).mean()
    g_l1 = np.abs(pairs["target"] - fake.numpy()).mean()  # L1Loss: the mean over pixels
    assert reported["g_gan"] == pytest.approx(g_gan, rel=1e-5)
    assert reported["g_l1"] == pytest.approx(g_l1, rel=1e-5)
    assert reported["g_loss"] == pytest.approx(2.0 * g_gan + 10.0 * g_l1, rel=1e-5)
    assert any(not np.array_equal(before, after)
               for before, after in zip(generator_before, model.generator.get_weights()))


def test_the_l1_only_ablation_leaves_the_discriminator_untouched():
    model = _compiled(Pix2Pix(**TINY, lambda_gan=0.0, dropout=0.0), run_eagerly=True)
    pairs = _pairs(4)
    fake = model.generator(pairs["input"], training=True).numpy()
    discriminator_before = model.discriminator.get_weights()  # moving statistics included

    reported = model.train_on_batch(pairs, return_dict=True)
    model.train_on_batch(_pairs(4, seed=1))

    assert reported["d_loss"] == reported["g_gan"] == 0.0
    assert reported["g_loss"] == pytest.approx(100.0 * np.abs(pairs["target"] - fake).mean(),
                                               rel=1e-5)
    for before, after in zip(discriminator_before, model.discriminator.get_weights()):
        np.testing.assert_array_equal(after, before)
    assert int(model.discriminator_optimizer.iterations) == 0
    assert int(model.generator_optimizer.iterations) == 2


def test_a_few_steps_train_both_networks_and_validation_reports_the_losses():
    keras.utils.set_random_seed(0)
    model = _compiled(Pix2Pix(**TINY, loss="hinge"), "Adam", 2e-4)
    train = tf.data.Dataset.from_tensor_slices(_pairs(8)).batch(4)
    held_out = _pairs(4, seed=1)
    before = [model.generator.get_weights(), model.discriminator.get_weights()]
    history = model.fit(train, validation_data=tf.data.Dataset.from_tensor_slices(held_out)
                        .batch(4), epochs=2, verbose=0)
    names = {"d_loss", "g_loss", "g_gan", "g_l1"}
    assert set(history.history) == names | {f"val_{name}" for name in names}
    assert all(np.isfinite(values[-1]) for values in history.history.values())
    for old, network in zip(before, (model.generator, model.discriminator)):
        assert any(not np.array_equal(a, b) for a, b in zip(old, network.get_weights()))
    # Held-out losses come from the deterministic generator as it is after the epoch.
    translated = model.translate(held_out["input"]).numpy()
    assert history.history["val_g_l1"][-1] == pytest.approx(
        np.abs(held_out["target"] - translated).mean(), rel=1e-5)


def test_inference_is_deterministic_unless_test_time_dropout_is_asked_for():
    images = _pairs(2)["input"]
    model = Pix2Pix(**TINY)
    np.testing.assert_array_equal(model.translate(images), model.translate(images))
    np.testing.assert_array_equal(model(images), model.translate(images))
    with pytest.raises(ValueError, match="takes a seed exactly when .* test_time_dropout"):
        model.translate(images, seed=1)

    noisy = Pix2Pix(**TINY, test_time_dropout=True)
    noisy.set_weights(model.get_weights())
    first = noisy.translate(images, seed=1).numpy()
    np.testing.assert_array_equal(noisy.translate(images, seed=tf.constant(1, tf.int64)), first)
    assert not np.allclose(noisy.translate(images, seed=2), first)
    assert not np.allclose(model.translate(images), first)
    with pytest.raises(ValueError, match="got seed=None"):
        noisy.translate(images)


def test_replicas_draw_their_own_dropout_masks(mirrored):
    images = tf.constant(_pairs(2)["input"])
    outputs = {}
    for dropout in (0.5, 0.0):
        with mirrored.scope():
            model = Pix2Pix(**TINY, dropout=dropout)

        @tf.function  # as inside fit()
        def run():
            return mirrored.run(lambda: model.generator(images, training=True))
        outputs[dropout] = [value.numpy() for value in mirrored.experimental_local_results(run())]
    # The same examples on both replicas: only dropout can tell them apart (batch norm is
    # synchronised, so both normalise over the same global batch).
    assert not np.allclose(*outputs[0.5])
    np.testing.assert_allclose(*outputs[0.0], rtol=1e-5, atol=1e-6)


def test_config_round_trip():
    model = Pix2Pix(**TINY, loss="least_squares", lambda_gan=0.5, test_time_dropout=True)
    clone = Pix2Pix.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(model))
    assert type(revived) is Pix2Pix and revived.get_config() == model.get_config()
    assert [w.shape for w in revived.weights] == [w.shape for w in model.weights]


@pytest.mark.parametrize("config, message", [
    ({"image_size": 48}, r"image_size must be a power of two >= 8 .*; got 48\."),
    ({"image_size": 4}, r"image_size must be a power of two >= 8 .*; got 4\."),
    ({"loss": "wasserstein"}, "loss='wasserstein' needs a gradient penalty"),
    ({"loss": "wgan"}, "Unknown adversarial loss 'wgan'"),
    ({"lambda_l1": -1}, r"lambda_l1 must be a finite number >= 0.0; got -1\."),
    ({"lambda_gan": float("nan")}, r"lambda_gan must be a finite number >= 0.0; got nan\."),
    ({"lambda_l1": 0.0, "lambda_gan": 0.0}, "lambda_l1 and lambda_gan are both 0"),
    ({"patch_layers": -1}, r"patch_layers must be an integer >= 0; got -1\."),
    ({"image_size": 16, "patch_layers": 3}, "patch_layers=3 needs image_size >= 32"),
    ({"filters": 0}, r"filters must be an integer >= 1; got 0\."),
    ({"input_channels": "3"}, r"input_channels must be an integer >= 1; got '3'\."),
    ({"output_channels": 0}, r"output_channels must be an integer >= 1; got 0\."),
    ({"dropout": 1.0}, r"dropout must be a finite number in \[0.0, 1.0\); got 1.0\."),
    ({"test_time_dropout": "yes"}, r"test_time_dropout must be True or False; got 'yes'\."),
    ({"test_time_dropout": True, "dropout": 0.0}, "test_time_dropout=True needs dropout > 0"),
    ({"seed": -1}, r"seed must be an integer >= 0; got -1\."),
])
def test_bad_configs_name_the_problem(config, message):
    with pytest.raises(ConfigurationError, match=message):
        Pix2Pix(**config)


def test_one_optimizer_for_both_networks_is_refused():
    optimizer = keras.optimizers.Adam(2e-4)
    with pytest.raises(ConfigurationError, match="need one optimizer each"):
        Pix2Pix(**TINY).compile(generator_optimizer=optimizer,
                                discriminator_optimizer=optimizer)
