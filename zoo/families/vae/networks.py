"""The VAE's encoder and decoder (Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR
2014): strided convolutions to the posterior's mean and log-variance, and transposed
convolutions back to per-pixel Bernoulli logits.

Under a mixed precision policy the posterior's parameters and the logits stay float32.
"""

from __future__ import annotations

from typing import Sequence

import keras

from zoo.families.convolutional import build_decoder as _build_decoder
from zoo.families.convolutional import check_image_shape, encoder_trunk
from zoo.precision import FLOAT32

__all__ = ["build_decoder", "build_encoder", "check_image_shape"]


def build_encoder(image_shape: Sequence[int], latent_dim: int, filters: Sequence[int],
                  hidden_units: int) -> keras.Model:
    """Strided convolutions (`zoo.families.convolutional.encoder_trunk`) to the posterior's
    mean and log-variance."""
    images = keras.Input(tuple(image_shape), name="images")
    x = encoder_trunk(images, filters, hidden_units)
    # The posterior's parameters stay float32 under a mixed policy: exp(log_variance) and the
    # KL term would lose too much in bfloat16.
    mean = keras.layers.Dense(latent_dim, name="mean", dtype=FLOAT32)(x)
    log_variance = keras.layers.Dense(latent_dim, name="log_variance", dtype=FLOAT32)(x)
    return keras.Model(images, [mean, log_variance], name="encoder")


def build_decoder(image_shape: Sequence[int], latent_dim: int, filters: Sequence[int],
                  hidden_units: int) -> keras.Model:
    """Transposed convolutions from a latent vector to per-pixel Bernoulli logits
    (`zoo.families.convolutional.build_decoder`)."""
    return _build_decoder(image_shape, latent_dim, filters, hidden_units, "latent")
