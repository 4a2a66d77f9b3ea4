"""The autoencoder's score signature: with the Bernoulli loss, the complexity-corrected error
first (Serra et al. 2020), the reconstruction error in nats and the reconstruction's squared
error; with the Gaussian loss, whose squared error is no codelength, the reconstruction error
alone."""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from zoo.families.autoencoder.model import Autoencoder
from zoo.families.autoencoder.signatures import COMPLEXITY_LEVELS, signatures
from zoo.families.complexity import complexity_bits

CONFIG = {"image_shape": (8, 8, 1), "code_dim": 3, "filters": (4,), "hidden_units": 8}
IMAGES = tf.constant(np.random.default_rng(0).uniform(size=(3, 8, 8, 1)).astype("float32"))


def _score(loss: str):
    model = Autoencoder(**CONFIG, loss=loss, seed=0)
    return model, next(signature for signature in signatures(model)
                       if signature.name == "score")


def test_a_bernoulli_autoencoder_scores_the_corrected_error_first():
    model, score = _score("bernoulli")
    assert score.output_names == ("complexity_corrected", "reconstruction_error",
                                  "squared_error")
    outputs = score.function(IMAGES)
    error = model.reconstruction_error(IMAGES).numpy()
    np.testing.assert_allclose(outputs["reconstruction_error"].numpy(), error, rtol=1e-6)
    reconstructions = model.reconstruct(IMAGES).numpy()
    np.testing.assert_allclose(outputs["squared_error"].numpy(), np.sum(
        (reconstructions - IMAGES.numpy()) ** 2, axis=(1, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(outputs["complexity_corrected"].numpy(), error / math.log(2)
                               - complexity_bits(IMAGES, COMPLEXITY_LEVELS).numpy(), rtol=1e-5)


def test_a_gaussian_autoencoder_scores_its_squared_error_alone():
    model, score = _score("gaussian")
    assert score.output_names == ("reconstruction_error",)
    np.testing.assert_allclose(score.function(IMAGES)["reconstruction_error"].numpy(),
                               model.reconstruction_error(IMAGES).numpy(), rtol=1e-6)
