"""The ResNet generator and PatchGAN discriminator of CycleGAN (Zhu et al., "Unpaired
Image-to-Image Translation using Cycle-Consistent Adversarial Networks", ICCV 2017).

Both follow the paper's appendix 7.2 and the authors' pytorch-CycleGAN-and-pix2pix
(`ResnetGenerator`, `ResnetBlock` with `padding_type='reflect'`, `NLayerDiscriminator`
with `norm_layer=InstanceNorm2d`), itself after Johnson et al., "Perceptual Losses for
Real-Time Style Transfer and Super-Resolution", ECCV 2016:

- Generator: c7s1-64, d128, d256, R256 x n, u128, u64, c7s1-3. c7s1-k is a 7x7
  stride-1 convolution to k filters after a reflection padding of 3; dk a 3x3
  stride-2 convolution padded by 1 with zeros; Rk a residual block of two 3x3
  convolutions, each after a reflection padding of 1; uk a 3x3 stride-2
  transposed convolution (the reference's `padding=1, output_padding=1`). Every
  layer but the last is followed by instance norm and ReLU; the last by tanh.
  n is 9 at 256 px and 6 at 128 px in the paper. The network is fully
  convolutional: it takes any height and width divisible by 4 (at least 8)
  and returns an image of the same size.
- Discriminator: the 70x70 PatchGAN of pix2pix (`zoo.families.patchgan`)
  on one image, with instance norm instead of batch norm: C64-C128-C256-C512
  and a convolution to one channel of logits, 4x4 kernels, LeakyReLU 0.2.

Instance norm is the reference's `InstanceNorm2d` default: no affine scale and
offset, no running statistics, so training and inference normalise alike, each
example and channel over its height and width. A convolution followed by it
has no bias: the reference gives it one, which the normalisation's mean
subtraction removes (its gradient is exactly zero). Weights are N(0, 0.02),
biases 0, as the reference's `init_weights('normal', 0.02)`. Under a mixed
precision policy (`zoo.precision`) the generator's last layer with its tanh
and the discriminator's output layer (the PatchGAN's) stay float32; instance
norm computes its statistics in float32.

Training on a CPU with TensorFlow's oneDNN optimisations on (its default on
CPUs with AVX512-VNNI, AVX512-BF16 or AMX; `TF_ENABLE_ONEDNN_OPTS=1` elsewhere)
logs `E0000 ... remapper failed: INVALID_ARGUMENT: Mutation::Apply error:
fanout '.../LeakyRelu/LeakyReluGrad' exist for missing node '.../BiasAdd'`
once per traced step. It comes from the PatchGAN's first layer, a convolution
with bias followed by LeakyReLU with no norm between (pix2pix's has the same
layer), not from reflection padding, instance norm or ReLU. Grappler's
remapper fuses that convolution and bias add, then fuses the LeakyReLU into
them too without checking that the gradient's LeakyReluGrad still reads the
bias add's output; the graph check refuses the rewrite, and the remapper's
changes to that step's graph are dropped. The step then runs as written, unfused,
with the same numbers. Measured at 128 px, 32 filters, 6 blocks, batch 1 with
oneDNN on (2026-12-02, a shared 2-core CPU), it took as long, within the noise,
as with the remapper switched off or with a LeakyReLU whose gradient reads its
output (which the remapper rewrites without error), so the layers stay as
the reference has them.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from zoo.families.patchgan import patch_layers_of, patchgan
from zoo.precision import FLOAT32

SIZE_MULTIPLE = 4
"""The generator's two halvings and doublings give back the input's size for multiples of 4."""
SMALLEST_SIZE = 8
"""The residual blocks' reflection padding of 1 needs maps of at least 2x2: images of 8x8."""


def _init() -> keras.initializers.Initializer:
    return keras.initializers.RandomNormal(0.0, 0.02)


def instance_norm() -> keras.layers.Layer:
    """Instance normalisation without affine parameters, as the reference's `InstanceNorm2d`.

    Each example's channel is normalised over its height and width (group
    normalisation with one group per channel), with epsilon 1e-5 added to the
    variance; there are no weights.

    Example:
        >>> norm = instance_norm()
        >>> x = tf.reshape(tf.range(8.0), [1, 2, 2, 2])
        >>> [round(float(v), 3) for v in norm(x)[0, :, :, 0].numpy().ravel()]
        [-1.342, -0.447, 0.447, 1.342]
        >>> norm.weights
        []
    """
    return keras.layers.GroupNormalization(groups=-1, center=False, scale=False, epsilon=1e-5)


@keras.saving.register_keras_serializable(package="zoo")
class ReflectionPadding2D(keras.layers.Layer):
    """Pads height and width by mirroring the image at its edges (the edge row not repeated),
    as PyTorch's `ReflectionPad2d`: fewer border artefacts than zeros.

    Args:
        padding: rows and columns added on each side; less than the input's height and width.
        **kwargs: arguments of `keras.layers.Layer`.

    Example:
        >>> x = tf.reshape(tf.range(3.0), [1, 1, 3, 1])
        >>> ReflectionPadding2D(1)(tf.tile(x, [1, 2, 1, 1]))[0, 0, :, 0].numpy()
        array([1., 0., 1., 2., 1.], dtype=float32)
    """

    def __init__(self, padding: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.padding = padding

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        p = self.padding
        return keras.ops.pad(inputs, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        batch, height, width, channels = input_shape
        grow = lambda size: None if size is None else size + 2 * self.padding  # noqa: E731
        return batch, grow(height), grow(width), channels

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "padding": self.padding}


def _normalized_relu(x: keras.KerasTensor) -> keras.KerasTensor:
    return keras.layers.ReLU()(instance_norm()(x))


def _residual_block(x: keras.KerasTensor) -> keras.KerasTensor:
    """`ResnetBlock`: x + (pad, conv 3x3, norm, ReLU, pad, conv 3x3, norm)(x)."""
    channels = x.shape[-1]
    y = ReflectionPadding2D(1)(x)
    y = keras.layers.Conv2D(channels, 3, use_bias=False, kernel_initializer=_init())(y)
    y = _normalized_relu(y)
    y = ReflectionPadding2D(1)(y)
    y = keras.layers.Conv2D(channels, 3, use_bias=False, kernel_initializer=_init())(y)
    y = instance_norm()(y)
    return keras.layers.Add()([x, y])


def build_generator(channels: int = 3, filters: int = 64, residual_blocks: int = 9,
                    name: str = "generator") -> keras.Model:
    """The ResNet generator: images in [-1, 1] -> images in [-1, 1] of the same size.

    Args:
        channels: channels of the input and output images.
        filters: filters of the first layer (64 in the paper); the down-sampling
            layers have 2x and 4x as many, and so have the residual blocks.
        residual_blocks: residual blocks at a quarter of the resolution (9 at 256 px,
            6 at 128 px in the paper).
        name: the model's name.

    Returns:
        A functional `keras.Model` taking (batch, height, width, channels) for any
        height and width divisible by 4 (at least 8).

    Example:
        >>> generator = build_generator(filters=4, residual_blocks=1)
        >>> generator(tf.zeros([2, 20, 12, 3])).shape
        TensorShape([2, 20, 12, 3])
    """
    images = keras.Input((None, None, channels), name="images")
    x = ReflectionPadding2D(3)(images)
    x = _normalized_relu(keras.layers.Conv2D(filters, 7, use_bias=False,
                                             kernel_initializer=_init())(x))
    for multiplier in (2, 4):
        x = keras.layers.ZeroPadding2D(1)(x)
        x = _normalized_relu(keras.layers.Conv2D(filters * multiplier, 3, strides=2,
                                                 use_bias=False, kernel_initializer=_init())(x))
    for _ in range(residual_blocks):
        x = _residual_block(x)
    for multiplier in (2, 1):
        # The full transposed convolution makes 2n + 1 rows; the reference's padding=1 and
        # output_padding=1 drop the first one (Keras' padding='same' would drop the last).
        x = keras.layers.Conv2DTranspose(filters * multiplier, 3, strides=2, padding="valid",
                                         use_bias=False, kernel_initializer=_init())(x)
        x = keras.layers.Cropping2D(((1, 0), (1, 0)))(x)
        x = _normalized_relu(x)
    x = ReflectionPadding2D(3)(x)
    x = keras.layers.Conv2D(channels, 7, activation="tanh", kernel_initializer=_init(),
                            dtype=FLOAT32)(x)
    return keras.Model(images, x, name=name)


def patch_map_size(image_size: int, patch_layers: int) -> int:
    """Rows (and columns) of the discriminator's map of scores for square images of a size.

    Each 4x4 convolution is padded by 1: a stride-2 layer maps n rows to
    floor(n / 2), a stride-1 layer to n - 1.

    Example:
        >>> patch_map_size(256, 3), patch_map_size(16, 1), patch_map_size(16, 3)
        (30, 6, 0)
    """
    size = image_size
    for layer in patch_layers_of(patch_layers):
        padding = 1 if layer.kernel > 1 else 0
        size = max((size + 2 * padding - layer.kernel) // layer.stride + 1, 0)
    return size


def build_discriminator(channels: int = 3, filters: int = 64, patch_layers: int = 3,
                        name: str = "discriminator") -> keras.Model:
    """The PatchGAN with instance norm: images -> a map of unbounded scores, one per patch.

    Args:
        channels: channels of the images.
        filters: filters of the first layer (64 in the paper).
        patch_layers: stride-2 layers: 3 for the paper's 70x70 patches (the
            reference's `n_layers_D`); 1 gives 16x16 patches, for small images.
        name: the model's name.

    Returns:
        A functional `keras.Model` taking images of any size that leaves at least
        one score (`patch_map_size` > 0) and returning (batch, rows, columns, 1).

    Example:
        >>> discriminator = build_discriminator(filters=4, patch_layers=3)
        >>> discriminator(tf.zeros([1, 32, 32, 3])).shape
        TensorShape([1, 2, 2, 1])
    """
    images = keras.Input((None, None, channels), name="images")
    return keras.Model(images, patchgan(images, filters, patch_layers, instance_norm), name=name)
