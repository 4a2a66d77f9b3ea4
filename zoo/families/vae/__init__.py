"""The VAE family: model, signatures and plots."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import tensorflow as tf

from zoo.families.base import Family
from zoo.images import tile
from zoo.families.vae.model import VAE, Sampling, binarize
from zoo.families.vae.plots import plots
from zoo.families.vae.signatures import signatures

__all__ = ["FAMILY", "VAE", "Sampling", "binarize"]


def _preprocess(batch: Mapping[str, tf.Tensor], seed: tf.Tensor) -> tf.Tensor:
    return binarize(batch["image"], seed)  # unconditional: labels are not used


def _preview(model: VAE, held_out: Mapping[str, np.ndarray], seed: int) -> np.ndarray:
    """64 samples from the same seed every epoch."""
    return tile(model.sample(tf.constant(64), tf.constant(seed, tf.int64)).numpy())


FAMILY = Family(name="vae", model_class=VAE, optimizers=("optimizer",), preprocess=_preprocess,
                signatures=signatures, preview=_preview, plots=plots)
