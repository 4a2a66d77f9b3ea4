"""pix2pix networks as the paper and the authors' code build them: the U-Net's depth, skips,
dropout and initialisation, and the PatchGAN's map sizes and true receptive fields."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.errors import ConfigurationError
from zoo.families.patchgan import patch_layers_of, receptive_field
from zoo.families.pix2pix.networks import SeededDropout, build_discriminator, build_generator


def _layers(model: keras.Model, kind: type) -> list[keras.layers.Layer]:
    return [layer for layer in model.layers if type(layer) is kind]


@pytest.mark.parametrize("size", [8, 16, 32])
def test_the_unet_halves_down_to_1x1_and_joins_each_level_back(size):
    generator = build_generator(size, input_channels=1, output_channels=3, filters=4)
    depth = int(np.log2(size))
    images = tf.random.stateless_uniform([2, size, size, 1], seed=[0, 1], minval=-1, maxval=1)
    assert generator(images).shape == (2, size, size, 3)

    encoder = _layers(generator, keras.layers.Conv2D)
    assert len(encoder) == depth
    assert [layer.output.shape[1] for layer in encoder] == [size >> level
                                                            for level in range(1, depth + 1)]
    assert [layer.filters for layer in encoder] == [4 * min(2 ** level, 8)
                                                    for level in range(depth)]
    assert all(layer.kernel_size == (4, 4) and layer.strides == (2, 2) for layer in encoder)
    # The skips: decoder block i is joined to the output of encoder level depth - 1 - i.
    levels = []
    for conv in encoder:
        after = generator.layers[generator.layers.index(conv) + 1]
        levels.append(after.output if isinstance(after, keras.layers.BatchNormalization)
                      else conv.output)
    joins = _layers(generator, keras.layers.Concatenate)
    assert len(joins) == depth - 1
    assert [id(join.input[1]) for join in joins] == [id(level) for level in levels[-2::-1]]
    assert generator.layers[-1].activation.__name__ == "tanh"


@pytest.mark.parametrize("size", [8, 16, 32])
def test_dropout_is_in_the_innermost_three_decoder_blocks(size):
    generator = build_generator(size, input_channels=1, output_channels=1, filters=2)
    dropouts = [layer for layer in generator.layers if isinstance(layer, keras.layers.Dropout)]
    # Decoder blocks make 2x2, 4x4, 8x8, ... maps; the output layer never drops.
    blocks = int(np.log2(size)) - 1
    assert sorted(layer.output.shape[1] for layer in dropouts) == [2, 4, 8][:min(3, blocks)]
    assert all(type(layer) is SeededDropout and layer.rate == 0.5 for layer in dropouts)
    assert not [layer for layer in build_generator(size, 1, 1, 2, dropout=0.0).layers
                if isinstance(layer, keras.layers.Dropout)]


def test_the_networks_are_initialised_and_normalised_as_the_paper():
    generator = build_generator(32, input_channels=3, output_channels=3, filters=16)
    discriminator = build_discriminator(3, 3, filters=16, patch_layers=3)
    layers = generator.layers + discriminator.layers
    assert {layer.negative_slope for layer in layers
            if isinstance(layer, keras.layers.LeakyReLU)} == {0.2}
    kernels = [layer.kernel.numpy() for layer in layers if hasattr(layer, "kernel")]
    measurable = [kernel for kernel in kernels if kernel.size > 1000]
    assert len(measurable) >= 6
    for kernel in measurable:
        assert abs(kernel.std() - 0.02) < 0.004 and abs(kernel.mean()) < 0.002
    norms = [layer for layer in layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert all(layer.synchronized for layer in norms)
    scales = np.concatenate([layer.gamma.numpy() for layer in norms])
    assert abs(scales.mean() - 1.0) < 0.003 and abs(scales.std() - 0.02) < 0.004
    # No batch norm after the first layer of either network, nor after the 1x1 bottleneck.
    for network in (generator, discriminator):
        first = _layers(network, keras.layers.Conv2D)[0]
        follower = network.layers[network.layers.index(first) + 1]
        assert isinstance(follower, keras.layers.LeakyReLU)
    bottleneck = _layers(generator, keras.layers.Conv2D)[-1]
    assert bottleneck.output.shape[1:3] == (1, 1)
    assert not isinstance(generator.layers[generator.layers.index(bottleneck) + 1],
                          keras.layers.BatchNormalization)


@pytest.mark.parametrize("size", [48, 4, 0, 100, True, 32.0])
def test_image_sizes_that_do_not_halve_down_to_1x1_are_refused(size):
    with pytest.raises(ConfigurationError,
                       match=rf"image_size must be a power of two >= 8 .*; got {size!r}\."):
        build_generator(size)


@pytest.mark.parametrize("patch_layers, size, rows", [
    (0, 16, 16), (1, 16, 6), (3, 32, 2), (3, 256, 30), (5, 128, 2)])
def test_patchgan_maps_images_to_one_score_per_patch(patch_layers, size, rows):
    # 30x30 scores at 256 px with the 70x70 PatchGAN, as the reference.
    discriminator = build_discriminator(1, 2, filters=2, patch_layers=patch_layers)
    scores = discriminator([tf.zeros([2, size, size, 1]), tf.ones([2, size, size, 2])])
    assert scores.shape == (2, rows, rows, 1)


@pytest.mark.parametrize("patch_layers, field", [(0, 1), (1, 16), (3, 70), (5, 286)])
def test_the_receptive_field_is_the_set_of_pixels_that_move_a_score(patch_layers, field):
    assert receptive_field(patch_layers) == field
    # An image large enough that the central score's patch lies inside it, away from the
    # zero padding; a score moves with exactly the pixels of its patch.
    stride = 2 ** sum(layer.stride == 2 for layer in patch_layers_of(patch_layers))
    size = stride * -(-(field + 2 * stride) // stride)
    discriminator = build_discriminator(1, 1, filters=2, patch_layers=patch_layers)
    source = tf.random.stateless_normal([1, size, size, 1], seed=[2, 3])
    target = tf.random.stateless_normal([1, size, size, 1], seed=[4, 5])
    with tf.GradientTape() as tape:
        tape.watch(source)
        scores = discriminator([source, target], training=False)
        centre = scores.shape[1] // 2
        score = scores[0, centre, centre, 0]
    moved = tape.gradient(score, source).numpy()[0, :, :, 0] != 0
    rows, columns = np.flatnonzero(moved.any(axis=1)), np.flatnonzero(moved.any(axis=0))
    assert 0 < rows[0] and rows[-1] < size - 1 and 0 < columns[0] and columns[-1] < size - 1
    assert moved.sum() == field * field
    assert rows[-1] - rows[0] + 1 == columns[-1] - columns[0] + 1 == field

    def bumped_score(row: int, column: int) -> float:
        bumped = tf.tensor_scatter_nd_add(source, [[0, row, column, 0]], [1.0])
        return float(discriminator([bumped, target], training=False)[0, centre, centre, 0])

    # The same with a pixel bumped by 1: the patch's corners count, their neighbours outside not.
    assert bumped_score(rows[0], columns[0]) != float(score)
    assert bumped_score(rows[-1], columns[-1]) != float(score)
    assert bumped_score(rows[0] - 1, columns[0]) == float(score)
    assert bumped_score(rows[-1], columns[-1] + 1) == float(score)
