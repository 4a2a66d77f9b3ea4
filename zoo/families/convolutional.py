"""The convolutional encoder trunk and decoder that the VAE and the autoencoder share: stride-2
3x3 ReLU convolutions and a ReLU dense layer down to a vector, and the mirror image back up to
per-pixel logits. Each family puts its own head on the trunk (the VAE's mean and
log-variance, the autoencoder's code).

Under a mixed precision policy the convolutions and hidden layers compute in the half type;
the decoder's logits stay float32 (they feed the reconstruction loss and the export).
"""

from __future__ import annotations

from typing import Sequence

import keras

from zoo.errors import ConfigurationError
from zoo.precision import FLOAT32


def check_image_shape(image_shape: tuple[int, ...], filters: tuple[int, ...]) -> None:
    """Refuses an image the strided convolutions cannot halve `len(filters)` times.

    Example:
        >>> check_image_shape((28, 28, 1), (16, 32))
        >>> check_image_shape((28, 28, 1), (8, 16, 32))
        Traceback (most recent call last):
        ...
        zoo.errors.ConfigurationError: image height and width must be divisible by \
2**len(filters) = 8; got image_shape (28, 28, 1) with filters (8, 16, 32).
    """
    stride = 2 ** len(filters)
    if image_shape[0] % stride or image_shape[1] % stride:
        raise ConfigurationError(
            f"image height and width must be divisible by 2**len(filters) = {stride}; "
            f"got image_shape {image_shape} with filters {filters}.")


def encoder_trunk(images: keras.KerasTensor, filters: Sequence[int], hidden_units: int
                  ) -> keras.KerasTensor:
    """Images -> features: a stride-2 3x3 ReLU convolution per width of `filters`, flattened,
    then a ReLU dense layer of `hidden_units` (none for 0).

    Example:
        >>> images = keras.Input((8, 8, 1))
        >>> encoder_trunk(images, (4,), 8).shape
        (None, 8)
    """
    x = images
    for width in filters:
        x = keras.layers.Conv2D(width, 3, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.Flatten()(x)
    if hidden_units:
        x = keras.layers.Dense(hidden_units, activation="relu")(x)
    return x


def build_decoder(image_shape: Sequence[int], input_dim: int, filters: Sequence[int],
                  hidden_units: int, input_name: str) -> keras.Model:
    """Vectors of `input_dim` -> per-pixel logits (float32): the trunk in reverse, a ReLU dense
    layer of `hidden_units` (none for 0), one back to the smallest feature map, stride-2
    transposed convolutions back to the image size, then a 3x3 convolution to the channels.

    Example:
        >>> build_decoder((8, 8, 1), 3, (4,), 8, "code")(keras.ops.zeros((2, 3))).shape
        TensorShape([2, 8, 8, 1])
    """
    height, width, channels = image_shape
    stride = 2 ** len(filters)
    vectors = keras.Input((input_dim,), name=input_name)
    x = vectors
    if hidden_units:
        x = keras.layers.Dense(hidden_units, activation="relu")(x)
    x = keras.layers.Dense(height // stride * width // stride * filters[-1], activation="relu")(x)
    x = keras.layers.Reshape((height // stride, width // stride, filters[-1]))(x)
    for width_ in reversed(filters):
        x = keras.layers.Conv2DTranspose(width_, 3, strides=2, padding="same", activation="relu")(x)
    logits = keras.layers.Conv2D(channels, 3, padding="same", name="logits", dtype=FLOAT32)(x)
    return keras.Model(vectors, logits, name="decoder")
