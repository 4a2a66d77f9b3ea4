"""The autoencoder's encoder and decoder: strided convolutions down to a linear code, and
transposed convolutions back up to per-pixel logits, the decoder mirroring the encoder.

A deep autoencoder in the sense of Hinton & Salakhutdinov, "Reducing the Dimensionality of
Data with Neural Networks" (Science 2006): nonlinear layers narrowing to a small code layer
of linear units, and a decoder back to the image; here with convolutions for the outer
layers, as the zoo's VAE has.

Under a mixed precision policy the code and the logits stay float32: the code feeds the L1
penalty and the export, the logits the cross-entropy.
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


def build_encoder(image_shape: Sequence[int], code_dim: int, filters: Sequence[int],
                  hidden_units: int) -> keras.Model:
    """Images in [0, 1] -> codes: stride-2 3x3 ReLU convolutions, a ReLU dense layer of
    `hidden_units` (none for 0), and a linear dense layer of `code_dim` units (float32).

    Example:
        >>> build_encoder((8, 8, 1), 3, (4,), 8)(keras.ops.zeros((2, 8, 8, 1))).shape
        TensorShape([2, 3])
    """
    images = keras.Input(tuple(image_shape), name="images")
    x = images
    for width in filters:
        x = keras.layers.Conv2D(width, 3, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.Flatten()(x)
    if hidden_units:
        x = keras.layers.Dense(hidden_units, activation="relu")(x)
    code = keras.layers.Dense(code_dim, name="code", dtype=FLOAT32)(x)
    return keras.Model(images, code, name="encoder")


def build_decoder(image_shape: Sequence[int], code_dim: int, filters: Sequence[int],
                  hidden_units: int) -> keras.Model:
    """Codes -> per-pixel logits (float32): the encoder's layers in reverse, stride-2
    transposed convolutions back to the image size, then a 3x3 convolution to the channels.

    Example:
        >>> build_decoder((8, 8, 1), 3, (4,), 8)(keras.ops.zeros((2, 3))).shape
        TensorShape([2, 8, 8, 1])
    """
    height, width, channels = image_shape
    stride = 2 ** len(filters)
    code = keras.Input((code_dim,), name="code")
    x = code
    if hidden_units:
        x = keras.layers.Dense(hidden_units, activation="relu")(x)
    x = keras.layers.Dense(height // stride * width // stride * filters[-1], activation="relu")(x)
    x = keras.layers.Reshape((height // stride, width // stride, filters[-1]))(x)
    for width_ in reversed(filters):
        x = keras.layers.Conv2DTranspose(width_, 3, strides=2, padding="same", activation="relu")(x)
    logits = keras.layers.Conv2D(channels, 3, padding="same", name="logits", dtype=FLOAT32)(x)
    return keras.Model(code, logits, name="decoder")
