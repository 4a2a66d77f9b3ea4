"""The template family's network: a few 3x3 convolutions from an image to an image of the same
size. A real family builds its networks here, one function per network, as functional
`keras.Model`s (their variables exist as soon as they are built)."""

from __future__ import annotations

import keras

from zoo.precision import FLOAT32


def build_network(input_channels: int, output_channels: int, filters: int, layers: int,
                  seed: int | None = None) -> keras.Model:
    """Images in [0, 1] -> images in [0, 1] of `output_channels`, any height and width.

    `layers` 3x3 ReLU convolutions of `filters` each, then a 1x1 convolution with a sigmoid,
    which stays float32 under a mixed precision policy (the output is compared with the
    target in the loss and exported).

    Example:
        >>> build_network(1, 3, filters=4, layers=2, seed=0)(keras.ops.zeros((2, 8, 8, 1))).shape
        TensorShape([2, 8, 8, 3])
    """
    images = keras.Input((None, None, input_channels), name="images")
    x = images
    for index in range(layers):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu",
                                kernel_initializer=keras.initializers.GlorotUniform(
                                    None if seed is None else seed + index))(x)
    outputs = keras.layers.Conv2D(output_channels, 1, activation="sigmoid", dtype=FLOAT32,
                                  kernel_initializer=keras.initializers.GlorotUniform(seed))(x)
    return keras.Model(images, outputs, name="network")
