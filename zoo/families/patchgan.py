"""The PatchGAN (Isola et al., "Image-to-Image Translation with Conditional Adversarial
Networks", CVPR 2017), shared by pix2pix's conditional discriminator and CycleGAN's.

As the authors' `NLayerDiscriminator` and `PixelDiscriminator`
(pytorch-CycleGAN-and-pix2pix): 4x4 convolutions padded by 1, C64 (no norm), then
`patch_layers - 1` stride-2 layers doubling the filters up to 8x, a stride-1 layer and a
stride-1 convolution to one channel of logits; `patch_layers` 0 is the 1x1 PixelGAN. Weights
N(0, 0.02); the output layer stays float32 under a mixed precision policy.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import keras

from zoo.precision import FLOAT32

LEAKY_SLOPE = 0.2


def _init() -> keras.initializers.Initializer:
    return keras.initializers.RandomNormal(0.0, 0.02)


def synchronized_batch_norm() -> keras.layers.Layer:
    """Batch norm over the global batch (synchronised across replicas), scale N(1, 0.02)."""
    return keras.layers.BatchNormalization(
        synchronized=True, gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02))


class PatchLayer(NamedTuple):
    """One convolution of a PatchGAN: kernel size, stride, and filters as a multiple of the
    base width (None for the output layer's single channel of scores)."""

    kernel: int
    stride: int
    multiplier: int | None


def patch_layers_of(patch_layers: int) -> list[PatchLayer]:
    """The convolutions of the PatchGAN with `patch_layers` stride-2 layers, input to output.

    As `NLayerDiscriminator(n_layers=n)`: C64 stride 2, n - 1 stride-2 layers
    doubling the filters up to 8x, a stride-1 layer with min(2**n, 8) times
    the base width, and a stride-1 layer to one channel; 4x4 kernels. n = 0 is
    the `PixelDiscriminator`: 1x1 convolutions C64-C128-1.

    Example:
        >>> [layer.stride for layer in patch_layers_of(3)]
        [2, 2, 2, 1, 1]
    """
    if patch_layers == 0:
        return [PatchLayer(1, 1, 1), PatchLayer(1, 1, 2), PatchLayer(1, 1, None)]
    return ([PatchLayer(4, 2, min(2 ** index, 8)) for index in range(patch_layers)]
            + [PatchLayer(4, 1, min(2 ** patch_layers, 8)), PatchLayer(4, 1, None)])


def receptive_field(patch_layers: int) -> int:
    """The side in input pixels of the patch that one discriminator score sees.

    Computed from the layer list, output to input: a layer with kernel k and
    stride s widens a field of r positions to (r - 1) * s + k.

    Args:
        patch_layers: the discriminator's number of stride-2 layers (0 for PixelGAN).

    Returns:
        1, 16, 70 and 286 for 0, 1, 3 and 5, the paper's patch sizes.

    Example:
        >>> [receptive_field(n) for n in (0, 1, 3, 5)]
        [1, 16, 70, 286]
    """
    field = 1
    for layer in reversed(patch_layers_of(patch_layers)):
        field = (field - 1) * layer.stride + layer.kernel
    return field


def smallest_image(patch_layers: int) -> int:
    """The smallest power-of-two image size the PatchGAN maps to at least one score.

    Each stride-2 layer halves the size and each of the two stride-1 4x4
    layers (padded by 1) takes one off, so the size must be at least
    3 * 2**n, which for powers of two is 2**(n + 2).

    Example:
        >>> smallest_image(3)
        32
    """
    return 2 ** (patch_layers + 2) if patch_layers else 1


def patchgan(x: keras.KerasTensor, filters: int = 64, patch_layers: int = 3,
             normalization: Callable[[], keras.layers.Layer] | None = None) -> keras.KerasTensor:
    """The PatchGAN's convolutions (`NLayerDiscriminator`, `PixelDiscriminator`) applied to `x`.

    Shared by pix2pix's conditional discriminator (`x` is the input and output
    images concatenated) and CycleGAN's (`x` is one image, normalised by
    instance norm instead of batch norm).

    Args:
        x: the images to score, NHWC.
        filters: filters of the first layer (64 in the papers).
        patch_layers: stride-2 layers (see `patch_layers_of`).
        normalization: makes the normalisation layer of every layer but the first and
            the output; None for `synchronized_batch_norm` (pix2pix's).

    Returns:
        Logits of shape (batch, rows, columns, 1), one per patch.

    Example:
        >>> images = keras.Input((16, 16, 3))
        >>> patchgan(images, filters=4, patch_layers=1).shape
        (None, 6, 6, 1)
    """
    normalization = normalization or synchronized_batch_norm
    layers = patch_layers_of(patch_layers)
    for index, layer in enumerate(layers):
        output = layer.multiplier is None
        normalized = 0 < index and not output
        if layer.kernel > 1:
            # The reference pads by 1; explicit padding keeps its sizes at stride 1 too.
            x = keras.layers.ZeroPadding2D(1)(x)
        # A normalised layer's bias would be removed by the normalisation's mean.
        # The scores are float32 under a mixed precision policy too.
        x = keras.layers.Conv2D(1 if output else filters * layer.multiplier, layer.kernel,
                                strides=layer.stride, padding="valid", use_bias=not normalized,
                                kernel_initializer=_init(), dtype=FLOAT32 if output else None)(x)
        if normalized:
            x = normalization()(x)
        if not output:
            x = keras.layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(x)
    return x
