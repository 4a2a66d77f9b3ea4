"""Distribution: one step on two replicas equals the same step on one device."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.families.gan import GAN
from zoo.families.vae import VAE
from zoo.runtime.distribute import resolve_strategy
from helpers import digit_like_images


def _fixed_noise(mean: tf.Tensor) -> tf.Tensor:
    # A deterministic function of each example's posterior mean: the same draw
    # for an example whichever replica it lands on.
    return tf.stop_gradient(tf.sin(3.0 * mean + 1.0))


def _one_step(strategy: tf.distribute.Strategy, weights: list, images: np.ndarray,
              optimizer: str) -> tuple[list, dict]:
    with strategy.scope():
        vae = VAE(latent_dim=4, filters=(8, 16), hidden_units=16, seed=0)
        vae.set_weights(weights)
        vae.sampling.noise = _fixed_noise
        vae.compile(optimizer=keras.optimizers.get({"class_name": optimizer,
                                                     "config": {"learning_rate": 0.01}}))
    batches = tf.data.Dataset.from_tensor_slices(images).batch(len(images))
    history = vae.fit(batches, epochs=1, verbose=0)
    return vae.get_weights(), {key: values[-1] for key, values in history.history.items()}


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_two_replicas_apply_the_single_device_update(optimizer, mirrored):
    images, _ = digit_like_images(8)
    images = (images[..., None] > 127).astype("float32")
    initial = VAE(latent_dim=4, filters=(8, 16), hidden_units=16, seed=0).get_weights()
    assert mirrored.num_replicas_in_sync == 2

    single_weights, single_metrics = _one_step(tf.distribute.get_strategy(), initial, images,
                                               optimizer)
    split_weights, split_metrics = _one_step(mirrored, initial, images, optimizer)

    moved = max(np.abs(after - before).max() for after, before in zip(single_weights, initial))
    assert moved > 1e-4
    # SGD shows any error in the gradient's scale; Adam normalises the scale away but
    # divides by sqrt(v) + eps, which magnifies summation-order noise where a gradient
    # is near zero, so it is compared to 1% of its step size (the learning rate).
    atol = 1e-6 if optimizer == "SGD" else 1e-4
    for single, split in zip(single_weights, split_weights):
        np.testing.assert_allclose(split, single, rtol=1e-4, atol=atol)
    for key in single_metrics:
        assert split_metrics[key] == pytest.approx(single_metrics[key], rel=1e-5)


def test_auto_strategy_reads_tf_config(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", "not json")
    with pytest.raises(ValueError, match="TF_CONFIG is not valid JSON"):
        resolve_strategy("auto")
    monkeypatch.delenv("TF_CONFIG")
    assert resolve_strategy("auto").num_replicas_in_sync == 1
    assert resolve_strategy("mirrored").num_replicas_in_sync == 2
    with pytest.raises(ValueError, match="Unknown strategy 'tpu'"):
        resolve_strategy("tpu")


class _DeterministicGAN(GAN):
    """Draws z and the interpolation weights as fixed functions of each real example, so
    an example gets the same draws whichever replica holds it."""

    def _features(self, reference: tf.Tensor) -> tf.Tensor:
        features = int(np.prod(reference.shape[1:]))
        flat = tf.reshape(reference, [-1, features])
        projection = tf.sin(tf.reshape(tf.range(features * self.latent_dim, dtype=tf.float32),
                                       [features, self.latent_dim]))
        return tf.matmul(flat, projection)

    def draw_latent(self, reference: tf.Tensor) -> tf.Tensor:
        return tf.sin(self._features(reference))

    def draw_interpolation_weights(self, reference: tf.Tensor) -> tf.Tensor:
        return 0.5 + 0.5 * tf.cos(self._features(reference)[:, 0])


def _gan_step(strategy: tf.distribute.Strategy, config: dict, weights: list, data) -> list:
    with strategy.scope():
        gan = _DeterministicGAN(**config)
        gan.set_weights(weights)
        gan.compile(generator_optimizer=keras.optimizers.SGD(0.01),
                    discriminator_optimizer=keras.optimizers.SGD(0.01))
    gan.fit(tf.data.Dataset.from_tensor_slices(data).batch(8), epochs=1, verbose=0)
    return gan.get_weights()


@pytest.mark.parametrize("config", [
    # Synchronised batch norm in both networks, one discriminator step.
    {"architecture": "dcgan28", "dropout": 0.0},
    # WGAN-GP: gradient penalty and several critic steps on strided minibatches.
    {"architecture": "mlp", "data_shape": (2,), "latent_dim": 3, "loss": "wasserstein",
     "gradient_penalty_weight": 10.0, "discriminator_steps": 2,
     "discriminator_normalization": "layer", "generator_units": (16,),
     "discriminator_units": (16,)},
    # PacGAN packing with labels.
    {"architecture": "mlp", "data_shape": (2,), "latent_dim": 3, "num_classes": 3, "pack": 2,
     "discriminator_steps": 2, "generator_units": (16,), "discriminator_units": (16,)},
], ids=["dcgan-batchnorm", "wgan-gp", "pacgan-conditional"])
def test_two_replicas_apply_the_single_device_gan_update(config, mirrored):
    rng = np.random.default_rng(0)
    data = rng.uniform(-1, 1, (8, *config.get("data_shape", (28, 28, 1)))).astype("float32")
    if config.get("num_classes"):
        data = (data, rng.integers(0, config["num_classes"], 8).astype("int32"))
    initial = _DeterministicGAN(**config).get_weights()

    single = _gan_step(tf.distribute.get_strategy(), config, initial, data)
    split = _gan_step(mirrored, config, initial, data)

    assert max(np.abs(a - b).max() for a, b in zip(single, initial)) > 1e-4
    for one, other in zip(single, split):
        np.testing.assert_allclose(other, one, rtol=1e-4, atol=1e-5)
