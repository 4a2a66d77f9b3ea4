"""The autoencoder's losses as its docstring defines them, its corruption and its config checks."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from zoo.errors import ConfigurationError
from zoo.families.autoencoder import Autoencoder

IMAGES = np.random.default_rng(0).uniform(size=(4, 8, 8, 1)).astype("float32")


def _model(**config) -> Autoencoder:
    return Autoencoder(**{"image_shape": (8, 8, 1), "code_dim": 3, "filters": (4,),
                          "hidden_units": 8, "seed": 0, **config})


@pytest.mark.parametrize("loss", ["bernoulli", "gaussian"])
def test_the_losses_are_the_documented_sums_over_pixels_plus_the_weighted_l1_code(loss):
    model = _model(loss=loss, sparsity=0.5)
    losses = {name: value.numpy() for name, value in model.per_example_losses(IMAGES).items()}
    code = model.encoder(IMAGES).numpy().astype("float64")
    logits = model.decoder(code).numpy().astype("float64")
    x = IMAGES.astype("float64")
    if loss == "bernoulli":
        # -[x log sigmoid(l) + (1 - x) log(1 - sigmoid(l))], in nats.
        per_pixel = np.logaddexp(0.0, logits) - x * logits
    else:
        per_pixel = (1.0 / (1.0 + np.exp(-logits)) - x) ** 2
    reconstruction = per_pixel.sum(axis=(1, 2, 3))
    l1 = np.abs(code).sum(axis=1)
    # float32 sums of 64 terms of order 1: round-off about 64 * 6e-8 relative.
    np.testing.assert_allclose(losses["reconstruction_loss"], reconstruction, rtol=1e-5)
    np.testing.assert_allclose(losses["sparsity_loss"], l1, rtol=1e-5)
    np.testing.assert_allclose(losses["loss"], reconstruction + 0.5 * l1, rtol=1e-5)
    np.testing.assert_allclose(model.reconstruction_error(IMAGES).numpy(), reconstruction,
                               rtol=1e-5)


def test_denoising_corrupts_the_training_input_only_and_reconstructs_the_clean_image():
    model = _model(denoising=0.3)
    model.corruption_noise = lambda images: tf.ones_like(images)
    encoder, seen = model.encoder, []
    model.encoder = lambda images, training=False: seen.append(np.asarray(images)) or encoder(
        images, training=training)
    trained = model.per_example_losses(IMAGES, training=True)["reconstruction_loss"].numpy()
    held_out = model.per_example_losses(IMAGES)["reconstruction_loss"].numpy()
    np.testing.assert_allclose(seen[0], np.clip(IMAGES + 0.3, 0.0, 1.0), rtol=1e-6)
    np.testing.assert_array_equal(seen[1], IMAGES)
    # The target is the clean image: the loss of the corrupted input's reconstruction.
    logits = encoder(seen[0]).numpy()
    logits = model.decoder(logits).numpy().astype("float64")
    expected = (np.logaddexp(0.0, logits) - IMAGES * logits).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(trained, expected, rtol=1e-5)
    np.testing.assert_allclose(held_out, model.reconstruction_error(IMAGES).numpy(), rtol=1e-6)
    np.testing.assert_array_equal(_model().corrupt(tf.constant(IMAGES)).numpy(), IMAGES)


@pytest.mark.parametrize("config, message", [
    ({"loss": "laplace"}, "loss"),
    ({"code_dim": 0}, "code_dim"),
    ({"sparsity": -1.0}, "sparsity"),
    ({"image_shape": (10, 10, 1), "filters": (4, 4)}, "divisible by 2\\*\\*len\\(filters\\) = 4"),
])
def test_a_bad_config_is_refused_naming_the_value(config, message):
    with pytest.raises(ConfigurationError, match=message):
        _model(**config)


def test_the_config_round_trips():
    model = _model(loss="gaussian", sparsity=0.1, denoising=0.2)
    rebuilt = Autoencoder.from_config(model.get_config())
    assert rebuilt.get_config() == model.get_config()
