"""The pix2pix family (Isola et al., "Image-to-Image Translation with Conditional Adversarial
Networks", CVPR 2017): paired image-to-image translation with a U-Net generator and a
PatchGAN discriminator.

`FAMILY` is what the runtime needs of it (see `zoo.families.base.Family`).
"""

from __future__ import annotations

import tensorflow as tf

from zoo.families.base import Family
from zoo.families.pix2pix.model import Pix2Pix
from zoo.families.patchgan import receptive_field
from zoo.families.pix2pix.networks import build_discriminator, build_generator
from zoo.families.pix2pix.plots import plots, preview
from zoo.families.pix2pix.signatures import signatures
from zoo.families.ranges import to_generator_range, to_unit_range

__all__ = ["FAMILY", "Pix2Pix", "build_discriminator", "build_generator", "plots", "preprocess",
           "preview", "receptive_field", "signatures", "to_generator_range", "to_unit_range"]


def preprocess(features: dict[str, tf.Tensor], seed: tf.Tensor) -> dict[str, tf.Tensor]:
    """A batch of paired images -> what `Pix2Pix.train_step` takes.

    Args:
        features: named features of a batch; `input` and `target` are NHWC images,
            uint8 (0 to 255) or float32 in [0, 1]. Other features are left out.
        seed: a stateless-random seed, unused: the preprocessing is deterministic.

    Returns:
        {"input": images, "target": images}, float32 in [-1, 1].

    Example:
        >>> batch = preprocess({"input": tf.fill([1, 2, 2, 1], tf.constant(255, tf.uint8)),
        ...                     "target": tf.zeros([1, 2, 2, 3])}, seed=tf.constant([0, 0]))
        >>> float(batch["input"][0, 0, 0, 0]), float(batch["target"][0, 0, 0, 0])
        (1.0, -1.0)
    """
    del seed  # deterministic
    return {"input": to_generator_range(features["input"]),
            "target": to_generator_range(features["target"])}


FAMILY = Family(name="pix2pix", model_class=Pix2Pix,
                optimizers=("generator_optimizer", "discriminator_optimizer"),
                preprocess=preprocess, signatures=signatures, preview=preview, plots=plots)
