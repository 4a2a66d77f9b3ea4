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

from zoo.families.convolutional import build_decoder as _build_decoder
from zoo.families.convolutional import check_image_shape, encoder_trunk
from zoo.precision import FLOAT32

__all__ = ["build_decoder", "build_encoder", "check_image_shape"]


def build_encoder(image_shape: Sequence[int], code_dim: int, filters: Sequence[int],
                  hidden_units: int) -> keras.Model:
    """Images in [0, 1] -> codes: the shared trunk (`zoo.families.convolutional`: stride-2 3x3
    ReLU convolutions, a ReLU dense layer of `hidden_units`) and a linear dense layer of
    `code_dim` units (float32).

    Example:
        >>> build_encoder((8, 8, 1), 3, (4,), 8)(keras.ops.zeros((2, 8, 8, 1))).shape
        TensorShape([2, 3])
    """
    images = keras.Input(tuple(image_shape), name="images")
    code = keras.layers.Dense(code_dim, name="code", dtype=FLOAT32)(
        encoder_trunk(images, filters, hidden_units))
    return keras.Model(images, code, name="encoder")


def build_decoder(image_shape: Sequence[int], code_dim: int, filters: Sequence[int],
                  hidden_units: int) -> keras.Model:
    """Codes -> per-pixel logits (float32): the encoder's layers in reverse
    (`zoo.families.convolutional.build_decoder`).

    Example:
        >>> build_decoder((8, 8, 1), 3, (4,), 8)(keras.ops.zeros((2, 3))).shape
        TensorShape([2, 8, 8, 1])
    """
    return _build_decoder(image_shape, code_dim, filters, hidden_units, "code")
