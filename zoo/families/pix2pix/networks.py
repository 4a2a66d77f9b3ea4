"""The U-Net generator and PatchGAN discriminator of pix2pix (Isola et al., "Image-to-Image
Translation with Conditional Adversarial Networks", CVPR 2017).

Both follow the paper's appendix 6.1 and the authors' implementations (the
original Torch `defineG_unet` and pytorch-CycleGAN-and-pix2pix's
`UnetGenerator`, `NLayerDiscriminator` and `PixelDiscriminator`):

- Generator: a U-Net whose encoder halves the image with 4x4 stride-2
  convolutions down to 1x1 (C64-C128-C256-C512-C512-C512-C512-C512 at 256
  px, so its depth is log2(image size)), LeakyReLU 0.2, batch norm on every
  layer but the first and the 1x1 bottleneck (both implementations leave it
  out there: at 1x1 with one image per batch it would zero the code). The
  decoder mirrors it with 4x4 stride-2 transposed convolutions, ReLU and batch
  norm, concatenates each block's output with the encoder output of the same
  size (the skip connections), and ends in a transposed convolution to the
  output channels with tanh. Dropout 0.5 follows the batch norm of the first
  three decoder blocks, the paper's CD512-CD1024-CD1024 and the Torch code's
  d1-d3. (The PyTorch port's `use_dropout` puts its dropout blocks one block
  further out and has `num_downs - 5` of them: three at 256 px, none at 32
  px; the paper's placement works at every depth.)
- Discriminator: a PatchGAN scoring each overlapping patch of the input and
  the output concatenated on channels: 4x4 convolutions padded by 1, C64 (no
  norm), then `patch_layers - 1` stride-2 layers doubling the filters up to
  8x, a stride-1 layer and a stride-1 convolution to one channel of logits.
  `patch_layers` 1, 3 and 5 give the paper's 16x16, 70x70 and 286x286
  patches; 0 gives the 1x1 PixelGAN (1x1 convolutions C64-C128-1).

Throughout, as the authors' code initialises them: weights N(0, 0.02), batch
norm scales N(1, 0.02). Convolutions followed by batch norm have no bias
(batch norm's offset replaces it). Batch norm is synchronised across
replicas, so a distributed step normalises over the global batch like a
single-device step. Under a mixed precision policy (`zoo.precision`) the
generator's last layer with its tanh and the PatchGAN's output layer stay
float32.
"""

from __future__ import annotations

import numbers
from typing import Any

import keras
import tensorflow as tf

from zoo.distributed import Dropout
from zoo.errors import ConfigurationError
from zoo.families.patchgan import LEAKY_SLOPE, patchgan, synchronized_batch_norm
from zoo.precision import FLOAT32

DROPOUT_BLOCKS = 3
"""Decoder blocks, counted from the bottleneck, that apply dropout."""
DROPOUT_SEED_ARGUMENT = "dropout_seed"
"""The generator's call argument that turns on seeded dropout (see `SeededDropout`)."""


def _init() -> keras.initializers.Initializer:
    return keras.initializers.RandomNormal(0.0, 0.02)


def _leaky(x):
    return keras.layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(x)


@keras.saving.register_keras_serializable(package="zoo")
class SeededDropout(Dropout):
    """`zoo.distributed.Dropout` that also drops at inference when given a seed in the call.

    Without `dropout_seed` it is `zoo.distributed.Dropout`: in training each
    replica draws its own masks, at inference it is the identity. With
    `dropout_seed` (int64, shape [2]) it drops whatever `training` says, with
    masks drawn statelessly from that seed folded with the layer's `salt`:
    the same seed gives the same masks, and each layer of a network draws its
    own. `dropout_seed` is a call-context argument, so calling a model that
    registers it (as `build_generator`'s does) passes it down to these layers.

    Args:
        rate: fraction of the units dropped.
        salt: this layer's index among the network's dropout layers.
        **kwargs: arguments of `keras.layers.Dropout` (`seed`, `name`, ...).

    Example:
        >>> layer = SeededDropout(0.5, salt=1)
        >>> ones = tf.ones([2, 8])
        >>> bool(tf.reduce_all(layer(ones) == ones))  # inference without a seed
        True
        >>> seed = tf.constant([7, 0], tf.int64)
        >>> first, again = layer(ones, dropout_seed=seed), layer(ones, dropout_seed=seed)
        >>> bool(tf.reduce_all(first == again)), sorted(set(first.numpy().ravel().tolist()))
        (True, [0.0, 2.0])
    """

    def __init__(self, rate: float, salt: int = 0, **kwargs: Any) -> None:
        super().__init__(rate, **kwargs)
        self.salt = salt
        self._register_call_context_args(DROPOUT_SEED_ARGUMENT)

    def call(self, inputs: tf.Tensor, training: Any = False,
             dropout_seed: tf.Tensor | None = None) -> tf.Tensor:
        if dropout_seed is None:
            return super().call(inputs, training=training)
        seed = tf.random.experimental.stateless_fold_in(tf.cast(dropout_seed, tf.int64),
                                                        self.salt)
        return tf.nn.experimental.stateless_dropout(inputs, rate=self.rate, seed=seed)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "salt": self.salt}


def unet_depth(image_size: int) -> int:
    """The U-Net's number of down-samplings: one per halving of the image down to 1x1.

    Args:
        image_size: height and width of the square images, a power of two >= 8.

    Returns:
        log2(image_size): 8 at 256 px, as the paper's generator.

    Raises:
        zoo.errors.ConfigurationError: image_size is not a power of two >= 8.

    Example:
        >>> unet_depth(256), unet_depth(32)
        (8, 5)
    """
    if isinstance(image_size, bool) or not isinstance(image_size, numbers.Integral) \
            or image_size < 8 or image_size & (image_size - 1):
        raise ConfigurationError(
            f"image_size must be a power of two >= 8 (the U-Net halves the image down to "
            f"1x1); got {image_size!r}.")
    return int(image_size).bit_length() - 1


def build_generator(image_size: int = 256, input_channels: int = 3, output_channels: int = 3,
                    filters: int = 64, dropout: float = 0.5,
                    seed: int | None = None) -> keras.Model:
    """The U-Net generator: images in [-1, 1] -> images in [-1, 1] of the same size.

    Call it with `training=True` to train (dropout and batch statistics), with
    `training=False` to infer deterministically (no dropout, batch norm's
    moving statistics), and add `dropout_seed=` (int64, shape [2]) to apply
    dropout with masks drawn from that seed (see `SeededDropout`).

    Args:
        image_size: height and width of the square images, a power of two >= 8.
        input_channels: channels of the input images.
        output_channels: channels of the output images.
        filters: filters of the first encoder layer (64 in the paper); layer i has
            `filters * min(2**i, 8)`.
        dropout: dropout rate of the first three decoder blocks (0.5 in the paper);
            0 builds no dropout layers.
        seed: seed of the dropout layers' training masks; None draws one.

    Returns:
        A functional `keras.Model` named `generator`.

    Example:
        >>> generator = build_generator(image_size=16, input_channels=1, filters=4)
        >>> generator(tf.zeros([2, 16, 16, 1])).shape
        TensorShape([2, 16, 16, 3])
    """
    depth = unet_depth(image_size)
    images = keras.Input((image_size, image_size, input_channels), name="images")
    x, skips = images, []
    for level in range(depth):
        # Neither the first layer nor the 1x1 bottleneck is normalised.
        normalized = 0 < level < depth - 1
        if level:
            x = _leaky(x)
        x = keras.layers.Conv2D(filters * min(2 ** level, 8), 4, strides=2, padding="same",
                                use_bias=not normalized, kernel_initializer=_init())(x)
        if normalized:
            x = synchronized_batch_norm()(x)
        skips.append(x)
    for block, skip in enumerate(reversed(skips[:-1])):
        # Each block makes as many channels as the encoder output it is joined to.
        x = keras.layers.ReLU()(x)
        x = keras.layers.Conv2DTranspose(skip.shape[-1], 4, strides=2, padding="same",
                                         use_bias=False, kernel_initializer=_init())(x)
        x = synchronized_batch_norm()(x)
        if dropout and block < DROPOUT_BLOCKS:
            x = SeededDropout(dropout, salt=block,
                              seed=None if seed is None else seed + block)(x)
        x = keras.layers.Concatenate()([x, skip])
    x = keras.layers.ReLU()(x)
    x = keras.layers.Conv2DTranspose(output_channels, 4, strides=2, padding="same",
                                     activation="tanh", kernel_initializer=_init(),
                                     dtype=FLOAT32)(x)
    generator = keras.Model(images, x, name="generator")
    generator._register_call_context_args(DROPOUT_SEED_ARGUMENT)
    return generator


def build_discriminator(input_channels: int = 3, output_channels: int = 3, filters: int = 64,
                        patch_layers: int = 3, image_size: int | None = None) -> keras.Model:
    """The conditional PatchGAN: (input image, output image) -> a map of unbounded scores.

    Args:
        input_channels: channels of the generator's input images.
        output_channels: channels of the real or generated output images.
        filters: filters of the first layer (64 in the paper).
        patch_layers: stride-2 layers: 0 (1x1 PixelGAN), 1 (16x16), 3 (70x70, the
            paper's default) or 5 (286x286); any n >= 0 works.
        image_size: height and width of the images; None accepts any size at least
            `smallest_image(patch_layers)`.

    Returns:
        A functional `keras.Model` named `discriminator` taking `[input, output]`
        and returning logits of shape (batch, rows, columns, 1), one per patch.

    Example:
        >>> discriminator = build_discriminator(1, 3, filters=4, patch_layers=1)
        >>> discriminator([tf.zeros([2, 16, 16, 1]), tf.zeros([2, 16, 16, 3])]).shape
        TensorShape([2, 6, 6, 1])
    """
    source = keras.Input((image_size, image_size, input_channels), name="input")
    target = keras.Input((image_size, image_size, output_channels), name="output")
    x = keras.layers.Concatenate()([source, target])
    return keras.Model([source, target], patchgan(x, filters, patch_layers), name="discriminator")
