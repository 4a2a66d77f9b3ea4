"""The VAE family: model, signatures and plots."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from zoo.families.base import Family
from zoo.families.vae.export import signatures
from zoo.families.vae.model import VAE, Sampling, binarize
from zoo.families.vae.plots import plots

__all__ = ["FAMILY", "VAE", "Sampling", "binarize"]


def _preprocess(images: tf.Tensor, labels: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    del labels  # unconditional
    return binarize(images, seed)


def _preview(model: VAE, count: int, seed: int) -> np.ndarray:
    return model.sample(tf.constant(count), tf.constant(seed, tf.int64)).numpy()


FAMILY = Family(name="vae", model_class=VAE, optimizers=("optimizer",), preprocess=_preprocess,
                signatures=signatures, preview=_preview, plots=plots)
