"""The GAN family: model, networks, signatures and plots."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import tensorflow as tf

from zoo.families.base import Family
from zoo.images import tile
from zoo.families.gan.model import GAN
from zoo.families.gan.networks import settings_in_use
from zoo.families.gan.plots import plots
from zoo.families.gan.signatures import signatures
from zoo.families.ranges import to_generator_range, to_unit_range

__all__ = ["FAMILY", "GAN"]


def _preprocess(batch: Mapping[str, tf.Tensor], seed: tf.Tensor):
    del seed  # deterministic
    return to_generator_range(batch["image"]), tf.cast(batch["label"], tf.int32)


def _preview(model: GAN, held_out: Mapping[str, np.ndarray], seed: int, count: int = 64
             ) -> np.ndarray:
    """The same latent batch every epoch (and classes cycling row by row when conditional)."""
    latent = tf.random.stateless_normal([count, model.latent_dim], [seed, 0])
    labels = tf.range(count) % model.num_classes if model.conditional else None
    return tile(to_unit_range(model.generate(latent, labels)).numpy())


FAMILY = Family(name="gan", model_class=GAN,
                optimizers=("generator_optimizer", "discriminator_optimizer"),
                preprocess=_preprocess, signatures=signatures, preview=_preview, plots=plots,
                settings_in_use=settings_in_use)
