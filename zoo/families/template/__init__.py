"""The template family: the smallest complete family (paired image-to-image regression with
an L1 loss), to copy when adding a model; docs/adding_a_family.md walks through it.

A family is one folder: `model` (the `keras.Model` and its `train_step`), `networks`,
`signatures` (what the export serves), `plots` (the per-epoch preview and the pictures of an
export), `case` (its tiny test case) and this `__init__`, which declares `FAMILY`: what the
shared runtime, export and `zoo.load` need of it (see `zoo.families.base.Family`).
"""

from __future__ import annotations

from typing import Mapping

import tensorflow as tf

from zoo.families.base import Family
from zoo.families.template.model import Template
from zoo.families.template.plots import plots, preview
from zoo.families.template.signatures import signatures

__all__ = ["FAMILY", "Template"]


def preprocess(features: Mapping[str, tf.Tensor], seed: tf.Tensor) -> dict[str, tf.Tensor]:
    """A batch of named features -> what `Template.train_step` takes: the pairs in [0, 1].

    Example:
        >>> batch = preprocess({"input": tf.fill([1, 2, 2, 1], tf.constant(255, tf.uint8)),
        ...                     "target": tf.zeros([1, 2, 2, 3], tf.uint8)}, tf.constant([0, 0]))
        >>> float(batch["input"][0, 0, 0, 0]), float(batch["target"][0, 0, 0, 0])
        (1.0, 0.0)
    """
    del seed  # deterministic; a family that draws per batch uses it (stateless ops)
    return {name: tf.image.convert_image_dtype(features[name], tf.float32)
            for name in ("input", "target")}


FAMILY = Family(name="template", model_class=Template, optimizers=("optimizer",),
                preprocess=preprocess, signatures=signatures, preview=preview, plots=plots)
