"""CycleGAN networks as the paper and the authors' code build them: instance norm per image and
channel, the ResNet generator's layers, reflection padding and any size divisible by 4, the
70x70 PatchGAN with instance norm."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.families.cyclegan.networks import (ReflectionPadding2D, build_discriminator,
                                            build_generator, instance_norm, patch_map_size)
from zoo.families.patchgan import patch_layers_of, receptive_field


def _layers(model: keras.Model, kind: type) -> list[keras.layers.Layer]:
    return [layer for layer in model.layers if type(layer) is kind]


def test_instance_norm_normalises_each_image_and_channel_over_height_and_width():
    rng = np.random.default_rng(0)
    # Each image and channel with its own offset and scale.
    images = (rng.normal(size=(3, 12, 8, 4)) * rng.uniform(0.5, 5, (3, 1, 1, 4))
              + rng.uniform(-10, 10, (3, 1, 1, 4))).astype("float32")
    norm = instance_norm()
    normalised = norm(images).numpy()
    np.testing.assert_allclose(normalised.mean(axis=(1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(normalised.std(axis=(1, 2)), 1.0, atol=1e-3)
    assert norm.weights == []
    # Per image: the other images of the batch change nothing.
    alone = norm(images[:1]).numpy()
    np.testing.assert_allclose(alone, normalised[:1], atol=1e-5)


def test_the_resnet_generator_has_the_papers_layers():
    filters, blocks = 4, 2
    generator = build_generator(filters=filters, residual_blocks=blocks)
    convolutions = [layer for layer in generator.layers
                    if isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose))]
    # c7s1-64, d128, d256, R256 x n (two convolutions each), u128, u64, c7s1-3.
    described = [(type(layer).__name__, layer.kernel_size[0], layer.strides[0], layer.filters)
                 for layer in convolutions]
    assert described == ([("Conv2D", 7, 1, filters), ("Conv2D", 3, 2, 2 * filters),
                          ("Conv2D", 3, 2, 4 * filters)]
                         + [("Conv2D", 3, 1, 4 * filters)] * (2 * blocks)
                         + [("Conv2DTranspose", 3, 2, 2 * filters),
                            ("Conv2DTranspose", 3, 2, filters), ("Conv2D", 7, 1, 3)])
    assert convolutions[-1].activation.__name__ == "tanh"
    # Reflection padding before the 7x7 convolutions and the residual blocks' 3x3 ones.
    assert [layer.padding for layer in _layers(generator, ReflectionPadding2D)] == \
        [3] + [1] * (2 * blocks) + [3]
    assert len(_layers(generator, keras.layers.Add)) == blocks
    # Instance norm after every convolution but the last, and no other normalisation.
    norms = _layers(generator, keras.layers.GroupNormalization)
    assert len(norms) == len(convolutions) - 1
    assert all(layer.groups == layer.input.shape[-1] and not layer.center and not layer.scale
               for layer in norms)
    assert not [layer for layer in generator.layers
                if isinstance(layer, (keras.layers.BatchNormalization,
                                      keras.layers.LayerNormalization))]
    big = build_generator(filters=16, residual_blocks=1)
    kernel = np.concatenate([layer.kernel.numpy().ravel() for layer in big.layers
                             if hasattr(layer, "kernel")])
    assert abs(kernel.std() - 0.02) < 0.002 and abs(kernel.mean()) < 0.001


@pytest.mark.parametrize("height, width", [(20, 28), (36, 12), (16, 16)])
def test_the_generator_keeps_any_size_divisible_by_4(height, width):
    generator = build_generator(filters=4, residual_blocks=1)
    images = tf.random.stateless_uniform([2, height, width, 3], seed=[0, 1], minval=-1, maxval=1)
    assert generator(images).shape == (2, height, width, 3)


def test_reflection_padding_mirrors_without_repeating_the_edge():
    images = tf.reshape(tf.range(12.0), [1, 3, 4, 1])
    padded = ReflectionPadding2D(1)(images)[0, :, :, 0].numpy()
    np.testing.assert_array_equal(padded[0, 1:-1], [4, 5, 6, 7])  # row 1 above row 0
    np.testing.assert_array_equal(padded[1], [1, 0, 1, 2, 3, 2])


@pytest.mark.parametrize("patch_layers, size, rows", [(3, 256, 30), (3, 32, 2), (1, 16, 6)])
def test_the_patchgan_maps_one_image_to_a_score_per_patch(patch_layers, size, rows):
    discriminator = build_discriminator(filters=2, patch_layers=patch_layers)
    assert discriminator(tf.zeros([1, size, size, 3])).shape == (1, rows, rows, 1)
    assert patch_map_size(size, patch_layers) == rows
    norms = _layers(discriminator, keras.layers.GroupNormalization)
    assert len(norms) == patch_layers and all(not layer.scale for layer in norms)
    assert not _layers(discriminator, keras.layers.BatchNormalization)
    assert {layer.negative_slope for layer in _layers(discriminator, keras.layers.LeakyReLU)} \
        == {0.2}


def test_the_discriminators_convolutions_see_70x70_patches():
    assert receptive_field(3) == 70
    discriminator = build_discriminator(channels=1, filters=2, patch_layers=3)
    # Instance norm's statistics span the whole image, so the patch is that of the
    # convolutions: the network with its normalisation layers left out.
    layers = [layer for layer in discriminator.layers[1:]
              if not isinstance(layer, keras.layers.GroupNormalization)]
    stride = 2 ** sum(layer.stride == 2 for layer in patch_layers_of(3))
    size = stride * -(-(70 + 2 * stride) // stride)
    images = tf.random.stateless_normal([1, size, size, 1], seed=[2, 3])
    with tf.GradientTape() as tape:
        tape.watch(images)
        scores = images
        for layer in layers:
            scores = layer(scores)
        centre = scores.shape[1] // 2
        score = scores[0, centre, centre, 0]
    moved = tape.gradient(score, images).numpy()[0, :, :, 0] != 0
    rows, columns = np.flatnonzero(moved.any(axis=1)), np.flatnonzero(moved.any(axis=0))
    assert 0 < rows[0] and rows[-1] < size - 1 and 0 < columns[0] and columns[-1] < size - 1
    assert moved.sum() == 70 * 70
    assert rows[-1] - rows[0] + 1 == columns[-1] - columns[0] + 1 == 70
