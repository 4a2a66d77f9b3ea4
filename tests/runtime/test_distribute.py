"""Distribution: the strategy choice, and one step of the GAN's distributed variants (WGAN-GP's
penalty over strided critic steps, PacGAN's packing) on two replicas equal to one device's; the
every-family equivalence is in tests/families/test_conformance.py, and a recipe on two worker
processes in tests/runtime/test_multiworker.py."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.families.gan import GAN
from zoo.runtime.distribute import resolve_strategy


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
    # WGAN-GP: gradient penalty and several critic steps on strided minibatches.
    {"architecture": "mlp", "data_shape": (2,), "latent_dim": 3, "loss": "wasserstein",
     "gradient_penalty_weight": 10.0, "discriminator_steps": 2,
     "discriminator_normalization": "layer", "generator_units": (16,),
     "discriminator_units": (16,)},
    # PacGAN packing with labels.
    {"architecture": "mlp", "data_shape": (2,), "latent_dim": 3, "num_classes": 3, "pack": 2,
     "discriminator_steps": 2, "generator_units": (16,), "discriminator_units": (16,)},
], ids=["wgan-gp", "pacgan-conditional"])
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
