"""The diffusion model's noise predictor: a U-Net of residual blocks conditioned on the noise
level through a sinusoidal embedding.

The layout is keras-io's "Denoising Diffusion Implicit Models" example (Beres 2022), itself a
smaller form of the U-Net of Ho et al. 2020 (DDPM):

- the noise variance (noise_rate**2, one value per image) is embedded with sines and cosines
  of `embedding_dims / 2` frequencies spaced geometrically from 1 to `embedding_max_frequency`
  (the Transformer's positional embedding, as DDPM embeds its time step), upsampled to the
  image size and concatenated to a 1x1 convolution of the noisy image;
- a down path: for each width but the last, `block_depth` residual blocks (each output kept
  as a skip connection) and a 2x2 average pooling; `block_depth` residual blocks at the last
  width; an up path mirroring the down path (bilinear upsampling, then for each block the
  matching skip concatenated and a residual block);
- a 1x1 convolution to the image's channels, initialised to zero, so that training starts
  from predicting zero noise.

Residual block: normalise, 3x3 convolution with swish, 3x3 convolution, plus the input (after a
1x1 convolution when the width changes). keras-io normalises with batch normalisation (without
scale and offset); here it is group normalisation (`norm_groups` groups, without scale and
offset), which DDPM uses: batch statistics would be each replica's own under `tf.distribute`,
so the update on two replicas would differ from the update on one, and the network's output
for an image would depend on the rest of its batch.

Optional self-attention (DDPM's, one head, after each residual block at the feature map sizes
listed in `attention_resolutions`, e.g. 16 for DDPM at 32 px or 7 for MNIST's 7x7 level).

Under a mixed precision policy the embedding is computed in float32 (its arguments, up to
2 pi * 1000 * variance, need float32's precision) and so is the output layer; the
convolutions compute in the half type.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import keras
import tensorflow as tf

from zoo.errors import ConfigurationError
from zoo.precision import FLOAT32


@keras.saving.register_keras_serializable(package="zoo")
class SinusoidalEmbedding(keras.layers.Layer):
    """Noise variances of shape (batch, 1, 1, 1) -> (batch, 1, 1, dims): sin(2 pi f v) for
    `dims / 2` frequencies f from 1 to `max_frequency`, spaced geometrically, then the
    cosines. Computed in float32 whatever the policy (pass `dtype="float32"`).

    Example:
        >>> layer = SinusoidalEmbedding(4, 1000.0, dtype="float32")
        >>> [round(value, 3) for value in layer(tf.zeros([1, 1, 1, 1])).numpy().ravel().tolist()]
        [0.0, 0.0, 1.0, 1.0]
    """

    def __init__(self, dims: int, max_frequency: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dims = dims
        self.max_frequency = max_frequency

    def call(self, variances: tf.Tensor) -> tf.Tensor:
        frequencies = tf.exp(tf.linspace(0.0, math.log(self.max_frequency), self.dims // 2))
        angular_speeds = 2.0 * math.pi * tf.cast(frequencies, tf.float32)
        variances = tf.cast(variances, tf.float32)
        return tf.concat([tf.sin(angular_speeds * variances),
                          tf.cos(angular_speeds * variances)], axis=3)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        return (*input_shape[:3], self.dims)

    def get_config(self) -> dict[str, Any]:
        return super().get_config() | {"dims": self.dims, "max_frequency": self.max_frequency}


def check_network(image_shape: Sequence[int], widths: Sequence[int], norm_groups: int,
                  embedding_dims: int, attention_resolutions: Sequence[int]) -> None:
    """Refuses a configuration the U-Net cannot build, naming the setting and the fix.

    Example:
        >>> check_network((28, 28, 1), (32, 64, 96, 128), 8, 32, ())
        Traceback (most recent call last):
        ...
        zoo.errors.ConfigurationError: image height and width must be divisible by \
2**(len(widths) - 1) = 8 (the U-Net pools once per width but the last); got image_shape \
(28, 28, 1) with widths (32, 64, 96, 128). Use at most 3 widths for this size, or images \
whose height and width are multiples of 8.
    """
    if len(widths) < 2:
        raise ConfigurationError(f"widths must name at least 2 widths (the U-Net pools once per "
                                 f"width but the last); got {tuple(widths)}.")
    stride = 2 ** (len(widths) - 1)
    height, width = image_shape[0], image_shape[1]
    if height % stride or width % stride:
        halvings = 0
        while height % 2 ** (halvings + 1) == 0 and width % 2 ** (halvings + 1) == 0:
            halvings += 1
        raise ConfigurationError(
            f"image height and width must be divisible by 2**(len(widths) - 1) = {stride} (the "
            f"U-Net pools once per width but the last); got image_shape {tuple(image_shape)} "
            f"with widths {tuple(widths)}. Use at most {halvings + 1} widths for this size, or "
            f"images whose height and width are multiples of {stride}.")
    bad = [value for value in widths if value % norm_groups]
    if bad:
        raise ConfigurationError(f"every width must be divisible by norm_groups = {norm_groups}; "
                                 f"got widths {tuple(widths)}.")
    if embedding_dims % 2:
        raise ConfigurationError(f"embedding_dims must be even (sines and cosines); got "
                                 f"{embedding_dims}.")
    sizes = [height // 2 ** level for level in range(len(widths))]
    unknown = [size for size in attention_resolutions if size not in sizes]
    if unknown:
        raise ConfigurationError(f"attention_resolutions {tuple(attention_resolutions)} names "
                                 f"sizes the U-Net does not have; its feature maps are "
                                 f"{', '.join(map(str, sizes))} px high.")


def _residual_block(x: keras.KerasTensor, width: int, groups: int) -> keras.KerasTensor:
    residual = x if x.shape[-1] == width else keras.layers.Conv2D(width, 1)(x)
    x = keras.layers.GroupNormalization(groups, center=False, scale=False)(x)
    x = keras.layers.Conv2D(width, 3, padding="same", activation="swish")(x)
    x = keras.layers.Conv2D(width, 3, padding="same")(x)
    return keras.layers.Add()([x, residual])


def _attention(x: keras.KerasTensor, groups: int) -> keras.KerasTensor:
    """DDPM's self-attention block: normalise, attend over every position, add the input."""
    height, width, channels = x.shape[1:]
    h = keras.layers.GroupNormalization(groups)(x)
    h = keras.layers.Reshape((height * width, channels))(h)
    h = keras.layers.MultiHeadAttention(num_heads=1, key_dim=channels)(h, h)
    h = keras.layers.Reshape((height, width, channels))(h)
    return keras.layers.Add()([x, h])


def build_unet(image_shape: Sequence[int], widths: Sequence[int], block_depth: int,
               embedding_dims: int, embedding_max_frequency: float, norm_groups: int,
               attention_resolutions: Sequence[int] = ()) -> keras.Model:
    """[noisy images, noise variances of shape (batch, 1, 1, 1)] -> predicted noise (float32).

    Example:
        >>> unet = build_unet((8, 8, 1), (8, 16), 1, 4, 1000.0, 4, attention_resolutions=(4,))
        >>> unet([tf.zeros([2, 8, 8, 1]), tf.ones([2, 1, 1, 1])]).shape
        TensorShape([2, 8, 8, 1])
    """
    height, width, channels = image_shape
    noisy_images = keras.Input(tuple(image_shape), name="noisy_images")
    variances = keras.Input((1, 1, 1), name="noise_variances")
    embedding = SinusoidalEmbedding(embedding_dims, embedding_max_frequency, dtype=FLOAT32,
                                    name="embedding")(variances)
    embedding = keras.layers.UpSampling2D((height, width), interpolation="nearest",
                                          dtype=FLOAT32)(embedding)
    x = keras.layers.Conv2D(widths[0], 1)(noisy_images)
    x = keras.layers.Concatenate()([x, embedding])

    def level(x: keras.KerasTensor, width_: int) -> keras.KerasTensor:
        x = _residual_block(x, width_, norm_groups)
        return _attention(x, norm_groups) if x.shape[1] in attention_resolutions else x

    skips = []
    for width_ in widths[:-1]:
        for _ in range(block_depth):
            x = level(x, width_)
            skips.append(x)
        x = keras.layers.AveragePooling2D(2)(x)
    for _ in range(block_depth):
        x = level(x, widths[-1])
    for width_ in reversed(widths[:-1]):
        x = keras.layers.UpSampling2D(2, interpolation="bilinear")(x)
        for _ in range(block_depth):
            x = keras.layers.Concatenate()([x, skips.pop()])
            x = level(x, width_)
    noise = keras.layers.Conv2D(channels, 1, kernel_initializer="zeros", dtype=FLOAT32,
                                name="noise")(x)
    return keras.Model([noisy_images, variances], noise, name="unet")
