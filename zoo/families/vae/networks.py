"""The VAE's encoder and decoder (Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR
2014): strided convolutions to the posterior's mean and log-variance, and transposed
convolutions back to per-pixel Bernoulli logits.

Under a mixed precision policy the posterior's parameters and the logits stay float32.
"""

from __future__ import annotations

from typing import Sequence

import keras

from zoo.errors import ConfigurationError
from zoo.precision import FLOAT32


def check_image_shape(image_shape: tuple[int, ...], filters: tuple[int, ...]) -> None:
    """Refuses an image the strided convolutions cannot halve `len(filters)` times."""
    stride = 2 ** len(filters)
    if image_shape[0] % stride or image_shape[1] % stride:
        raise ConfigurationError(
            f"image height and width must be divisible by 2**len(filters) = {stride}; "
            f"got image_shape {image_shape} with filters {filters}.")


def build_encoder(image_shape: Sequence[int], latent_dim: int, filters: Sequence[int],
                  hidden_units: int) -> keras.Model:
    """Strided convolutions to the posterior's mean and log-variance."""
    images = keras.Input(tuple(image_shape), name="images")
    x = images
    for width in filters:
        x = keras.layers.Conv2D(width, 3, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.Flatten()(x)
    if hidden_units:
        x = keras.layers.Dense(hidden_units, activation="relu")(x)
    # The posterior's parameters stay float32 under a mixed policy: exp(log_variance) and the
    # KL term would lose too much in bfloat16.
    mean = keras.layers.Dense(latent_dim, name="mean", dtype=FLOAT32)(x)
    log_variance = keras.layers.Dense(latent_dim, name="log_variance", dtype=FLOAT32)(x)
    return keras.Model(images, [mean, log_variance], name="encoder")


def build_decoder(image_shape: Sequence[int], latent_dim: int, filters: Sequence[int],
                  hidden_units: int) -> keras.Model:
    """Transposed convolutions from a latent vector to per-pixel Bernoulli logits."""
    height, width, channels = image_shape
    stride = 2 ** len(filters)
    latent = keras.Input((latent_dim,), name="latent")
    x = latent
    if hidden_units:
        x = keras.layers.Dense(hidden_units, activation="relu")(x)
    x = keras.layers.Dense(height // stride * width // stride * filters[-1], activation="relu")(x)
    x = keras.layers.Reshape((height // stride, width // stride, filters[-1]))(x)
    for width_ in reversed(filters):
        x = keras.layers.Conv2DTranspose(width_, 3, strides=2, padding="same", activation="relu")(x)
    logits = keras.layers.Conv2D(channels, 3, padding="same", name="logits", dtype=FLOAT32)(x)
    return keras.Model(latent, logits, name="decoder")
