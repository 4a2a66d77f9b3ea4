"""Image ranges at a family's edges: data and the serving boundary use [0, 1] (or uint8 0 to
255); generators with a tanh output (GAN, pix2pix, CycleGAN) work in [-1, 1]."""

from __future__ import annotations

import tensorflow as tf


def to_generator_range(images: tf.Tensor) -> tf.Tensor:
    """Images as uint8 (0 to 255) or floats in [0, 1] -> float32 in [-1, 1].

    Example:
        >>> to_generator_range(tf.constant([0, 255], tf.uint8)).numpy()
        array([-1.,  1.], dtype=float32)
        >>> to_generator_range(tf.constant([0.25])).numpy()
        array([-0.5], dtype=float32)
    """
    images = tf.convert_to_tensor(images)
    scale = 255.0 if images.dtype == tf.uint8 else 1.0
    return tf.cast(images, tf.float32) * (2.0 / scale) - 1.0


def to_unit_range(images: tf.Tensor) -> tf.Tensor:
    """Generator output in [-1, 1] -> images in [0, 1], the serving convention.

    Example:
        >>> to_unit_range(tf.constant([-1.0, 0.0, 1.0])).numpy()
        array([0. , 0.5, 1. ], dtype=float32)
    """
    return tf.clip_by_value((images + 1.0) / 2.0, 0.0, 1.0)
