"""The input-complexity correction the scoring families share (Serra et al. 2020): PNG
codelengths of quantised images, in the graph, and the corrected score."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf

from zoo.families.complexity import complexity_bits, complexity_corrected, quantised


def _strokes(count: int, seed: int) -> np.ndarray:
    """(count, 28, 28, 1) float32 images of three random strokes each, 2 px wide: as busy as
    a handwritten digit, in [0, 1]."""
    rng = np.random.default_rng(seed)
    images = np.zeros((count, 28, 28, 1), np.float32)
    for image in images:
        for _ in range(3):
            (row, column), (to_row, to_column) = rng.integers(4, 24, (2, 2))
            for step in np.linspace(0, 1, 40):
                y = int(round(row + step * (to_row - row)))
                x = int(round(column + step * (to_column - column)))
                image[y:y + 2, x:x + 2] = rng.uniform(0.6, 1.0)
    return images


def test_quantising_spreads_the_levels_over_0_to_255_and_thresholds_two_at_one_half():
    values = tf.constant([0.0, 0.2, 0.49, 0.5, 0.74, 1.0])
    assert quantised(values, 2).numpy().tolist() == [0, 0, 0, 255, 255, 255]
    assert quantised(values, 3).numpy().tolist() == [0, 0, 128, 128, 128, 255]
    assert quantised(values, 256).numpy().tolist() == [0, 51, 125, 128, 189, 255]
    for levels in (1, 257, 2.0, True):
        with pytest.raises(ValueError, match="levels must be an integer from 2 to 256"):
            quantised(values, levels)


def test_the_codelength_is_eight_bits_per_byte_of_each_images_png():
    images = _strokes(3, seed=0)
    bits = complexity_bits(tf.constant(images), 256).numpy()
    expected = [8 * len(tf.io.encode_png(quantised(tf.constant(image), 256)).numpy())
                for image in images]
    assert bits.dtype == np.float32 and bits.tolist() == expected


def test_simple_images_are_shorter_than_digits_and_digits_than_noise():
    rng = np.random.default_rng(0)
    blank = np.zeros((1, 28, 28, 1), "float32")
    gradient = np.broadcast_to(np.linspace(0, 1, 28, dtype="float32")[None, :, None],
                               (1, 28, 28, 1))
    digits = _strokes(8, seed=0)
    noise = rng.uniform(size=(1, 28, 28, 1)).astype("float32")
    for levels in (2, 256):
        bits = {name: complexity_bits(tf.constant(images), levels).numpy()
                for name, images in [("blank", blank), ("gradient", gradient),
                                     ("digits", digits), ("noise", noise)]}
        assert bits["blank"].max() < bits["digits"].min() < bits["digits"].max() < \
            bits["noise"].min(), levels
        if levels == 2:  # a gradient thresholded is two blocks: as short as a blank page
            assert bits["gradient"].max() < bits["digits"].min()


def test_the_corrected_score_is_the_nll_in_bits_minus_the_codelength_in_a_served_graph():
    images = tf.constant(_strokes(4, seed=1))
    nll = tf.constant([100.0, 110.0, 120.0, 130.0])

    @tf.function(input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32),
                                  tf.TensorSpec([None], tf.float32)])
    def served(images, nll):
        return complexity_corrected(nll, images, 2)

    np.testing.assert_allclose(served(images, nll).numpy(),
                               nll.numpy() / math.log(2) - complexity_bits(images, 2).numpy(),
                               rtol=1e-6)
