"""The diffusion family: a U-Net noise predictor trained with DDPM's denoising objective and
sampled with DDIM (see `zoo.families.diffusion.model`), exported with a moving average of its
weights.

Example:
    >>> import zoo
    >>> model = zoo.build("ddim_mnist", widths=(8, 16, 24), block_depth=1)
    >>> model.generate(tf.zeros([1, 28, 28, 1]), steps=2).shape
    TensorShape([1, 28, 28, 1])
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import tensorflow as tf

from zoo.families.base import Family
from zoo.families.diffusion.model import LOSSES, Diffusion
from zoo.families.diffusion.plots import grid_count, plots
from zoo.families.diffusion.schedules import SCHEDULES
from zoo.families.diffusion.signatures import DEFAULT_STEPS, signatures
from zoo.families.ranges import to_generator_range, to_unit_range
from zoo.images import tile

__all__ = ["FAMILY", "LOSSES", "SCHEDULES", "Diffusion", "preprocess"]

EMA_DECAY = 0.999
"""The decay of the exported moving average of the weights (keras-io's DDIM)."""


def preprocess(features: Mapping[str, tf.Tensor], seed: tf.Tensor) -> tf.Tensor:
    """A batch of named features -> what `Diffusion.train_step` takes: the images as float32 in
    [-1, 1] (labels are not used).

    Example:
        >>> images = tf.constant([[[[0], [255]]]], tf.uint8)
        >>> preprocess({"image": images}, tf.constant([0, 0])).numpy().ravel().tolist()
        [-1.0, 1.0]
    """
    del seed  # deterministic; the noise is drawn in train_step
    return to_generator_range(features["image"])


def preview(model: Diffusion, held_out: Mapping[str, np.ndarray], seed: int) -> np.ndarray:
    """The same starting noise every epoch, sampled with deterministic DDIM in `DEFAULT_STEPS`
    steps: 64 images, or fewer of larger images (`grid_count`: 16 of 64 px)."""
    del held_out  # drawn from noise
    count = grid_count(model.image_shape)
    noise = tf.random.stateless_normal([count, *model.image_shape], [seed, 0])
    generate = tf.function(lambda noise: model.generate(noise, DEFAULT_STEPS))
    return tile(to_unit_range(generate(noise)).numpy())


FAMILY = Family(name="diffusion", model_class=Diffusion, optimizers=("optimizer",),
                preprocess=preprocess, signatures=signatures, preview=preview, plots=plots,
                ema_decay=EMA_DECAY, choices={"loss": LOSSES, "schedule": SCHEDULES})
