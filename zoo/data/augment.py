"""Per-example resizing and the pix2pix/CycleGAN random jitter, with stateless seeds.

The jitter of Isola et al. 2017 (sec. 6.2) and Zhu et al. 2017: resize to
286x286, take a random 256x256 crop, mirror at random; at other image sizes the
load size scales with it (`load_size`). The images of one example (a pair's
input and target) get the same crop and the same flip, so they stay aligned.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import tensorflow as tf

JITTER_LOAD = 286
JITTER_CROP = 256


def load_size(image_size: int) -> int:
    """The size images are resized to before the random crop: 286 for 256, in proportion.

    Example:
        >>> load_size(256), load_size(128), load_size(32)
        (286, 143, 36)
    """
    return int(round(image_size * JITTER_LOAD / JITTER_CROP))


def _resize(image: tf.Tensor, size: int) -> tf.Tensor:
    # Bicubic, as the authors' transforms.Resize; it overshoots, so clip back to [0, 1].
    return tf.clip_by_value(tf.image.resize(image, [size, size], method="bicubic"), 0.0, 1.0)


def resize(example: Mapping[str, tf.Tensor], keys: Sequence[str], image_size: int
           ) -> dict[str, tf.Tensor]:
    """The example with its images resized to `image_size` squares (held-out data)."""
    return {name: _resize(value, image_size) if name in keys else value
            for name, value in example.items()}


def jitter(example: Mapping[str, tf.Tensor], keys: Sequence[str], image_size: int,
           seed: tf.Tensor) -> dict[str, tf.Tensor]:
    """Resize to `load_size`, one random crop of `image_size` and one random mirror for all `keys`.

    Args:
        example: named features of one example; the `keys` are (H, W, C) images.
        keys: the images to jitter together.
        image_size: the crop size.
        seed: int64 [2], the example's stateless seed.
    """
    size = load_size(image_size)
    offset_seed, flip_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    offsets = tf.random.stateless_uniform([2], offset_seed, 0, size - image_size + 1, tf.int32)
    flip = tf.random.stateless_uniform([], flip_seed) < 0.5
    result = dict(example)
    for name in keys:
        image = _resize(example[name], size)[offsets[0]:offsets[0] + image_size,
                                             offsets[1]:offsets[1] + image_size]
        result[name] = tf.cond(flip, lambda image=image: tf.reverse(image, [1]),
                               lambda image=image: image)
    return result
