"""The VAE: losses as defined, training lowers them, config round trip, binarisation."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.errors import ConfigurationError
from zoo.families.vae import VAE, Sampling, binarize
from helpers import digit_like_images


def _binary_images(count: int, seed: int = 0) -> np.ndarray:
    images, _ = digit_like_images(count, seed)
    return (images[..., None] > 127).astype("float32")


def test_sampling_is_mean_plus_scaled_noise():
    layer = Sampling(seed=3)
    mean = np.full((20000, 1), 2.0, "float32")
    log_variance = np.full((20000, 1), np.log(0.25), "float32")
    draws = layer(mean, log_variance).numpy()
    assert draws.mean() == pytest.approx(2.0, abs=0.02)
    assert draws.std() == pytest.approx(0.5, abs=0.02)


def test_losses_match_their_definitions():
    vae = VAE(image_shape=(8, 8, 1), latent_dim=3, filters=(4,), beta=4.0, seed=0)
    images = _binary_images(4)[:, ::3, ::3][:, :8, :8]
    epsilon = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    vae.sampling.noise = lambda mean: tf.constant(epsilon)
    losses = {key: value.numpy() for key, value in vae.per_example_losses(images).items()}

    mean, log_variance = (value.numpy() for value in vae.encoder(images))
    latent = mean + np.exp(0.5 * log_variance) * epsilon
    probabilities = 1 / (1 + np.exp(-vae.decoder(latent).numpy().astype("float64")))
    bernoulli_nll = -(images * np.log(probabilities)
                      + (1 - images) * np.log(1 - probabilities)).sum(axis=(1, 2, 3))
    kl = 0.5 * (np.exp(log_variance) + mean ** 2 - 1 - log_variance).sum(axis=1)
    np.testing.assert_allclose(losses["reconstruction_loss"], bernoulli_nll, rtol=1e-4)
    np.testing.assert_allclose(losses["kl_loss"], kl, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(losses["loss"], bernoulli_nll + 4.0 * kl, rtol=1e-4)


def test_a_few_steps_lower_the_loss():
    keras.utils.set_random_seed(0)
    vae = VAE(latent_dim=4, filters=(8, 16), seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(2e-3))
    images = _binary_images(128)
    before = vae.evaluate(images, batch_size=64, verbose=0, return_dict=True)
    history = vae.fit(images, batch_size=32, epochs=4, verbose=0)
    after = vae.evaluate(images, batch_size=64, verbose=0, return_dict=True)
    assert set(history.history) == {"loss", "reconstruction_loss", "kl_loss"}
    assert after["loss"] < 0.9 * before["loss"]


def test_config_round_trip_rebuilds_the_same_architecture():
    vae = zoo.build("vae_mnist", latent_dim=2, beta=4.0)
    clone = VAE.from_config(vae.get_config())
    assert clone.get_config() == vae.get_config()
    assert clone.beta == 4.0 and clone.latent_dim == 2
    assert [w.shape for w in clone.weights] == [w.shape for w in vae.weights]


@pytest.mark.parametrize("overrides, message", [
    ({"latent_dim": "abc"}, "latent_dim must be an integer >= 1; got 'abc'"),
    ({"latent_dim": 0}, "latent_dim must be an integer >= 1; got 0"),
    ({"filters": ()}, r"filters must be a non-empty sequence of integers >= 1; got \(\)"),
    ({"filters": (8, "16")}, "filters must be a non-empty sequence of integers"),
    ({"image_shape": (28, 28)}, "image_shape must be a sequence of 3 integers"),
    ({"image_shape": (30, 30, 1)}, r"divisible by 2\*\*len\(filters\) = 4"),
    ({"hidden_units": 2.5}, "hidden_units must be an integer >= 0; got 2.5"),
    ({"beta": -1.0}, "beta must be a finite number >= 0.0; got -1.0"),
    ({"beta": float("nan")}, "beta must be a finite number >= 0.0; got nan"),
    ({"seed": "x"}, "seed must be an integer >= 0; got 'x'"),
    ({"latent_size": 2}, r"Unknown model config key\(s\) \['latent_size'\] for 'vae_mnist'"),
])
def test_bad_config_is_refused_naming_the_argument(overrides, message):
    with pytest.raises(ConfigurationError, match=message):
        zoo.build("vae_mnist", **overrides)


def test_binarize_draws_bernoulli_pixels_reproducibly():
    image = tf.fill([200, 200], tf.constant(64, tf.uint8))
    first = binarize(image, tf.constant([1, 2], tf.int64)).numpy()
    assert set(np.unique(first)) <= {0.0, 1.0}
    assert first.mean() == pytest.approx(64 / 255, abs=0.01)
    np.testing.assert_array_equal(first, binarize(image, tf.constant([1, 2], tf.int64)))
    assert not np.array_equal(first, binarize(image, tf.constant([1, 3], tf.int64)))


def test_importance_weighted_bound_is_tighter_than_the_elbo():
    keras.utils.set_random_seed(1)
    vae = VAE(latent_dim=4, filters=(8, 16), seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(2e-3))
    images = _binary_images(64)
    vae.fit(images, batch_size=32, epochs=2, verbose=0)
    elbo = vae.negative_elbo(images[:8], draws=256).numpy()
    iwae = vae.importance_weighted_nll(images[:8], k=256, chunk=100).numpy()
    one_sample = vae.importance_weighted_nll(images[:8], k=1).numpy()
    assert np.all(iwae <= elbo + 1e-3)
    assert one_sample.mean() == pytest.approx(elbo.mean(), rel=0.05)


def test_an_inputs_score_does_not_depend_on_its_batch():
    vae = VAE(image_shape=(8, 8, 1), latent_dim=2, filters=(4,), hidden_units=8, seed=0)
    images = np.random.default_rng(3).uniform(size=(6, 8, 8, 1)).astype("float32")
    together = vae.negative_elbo(images).numpy()
    alone = np.concatenate([vae.negative_elbo(images[i:i + 1]).numpy() for i in range(6)])
    reversed_ = vae.negative_elbo(images[::-1]).numpy()[::-1]
    # The same computation per example; only the batched convolutions' float32 round-off
    # (sums of tens of terms of order 1) may differ. Other draws would move it by nats.
    np.testing.assert_allclose(alone, together, rtol=1e-5)
    np.testing.assert_allclose(reversed_, together, rtol=1e-5)
