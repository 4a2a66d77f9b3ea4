"""The CycleGAN family (Zhu et al., "Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks", ICCV 2017): unpaired image-to-image translation
with two ResNet generators, two PatchGAN discriminators, cycle consistency and image pools.

`FAMILY` is what the runtime needs of it (see `zoo.families.base.Family`).
"""

from __future__ import annotations

import tensorflow as tf

from zoo.families.base import Family
from zoo.families.cyclegan.model import CycleGAN
from zoo.families.cyclegan.networks import (ReflectionPadding2D, build_discriminator,
                                            build_generator, instance_norm)
from zoo.families.cyclegan.plots import cycle_grid, plots, preview
from zoo.families.cyclegan.pool import ImagePool
from zoo.families.cyclegan.signatures import signatures
from zoo.families.ranges import to_generator_range

__all__ = ["FAMILY", "CycleGAN", "ImagePool", "ReflectionPadding2D", "build_discriminator",
           "build_generator", "cycle_grid", "instance_norm", "plots", "preprocess", "preview",
           "signatures"]


def preprocess(features: dict[str, tf.Tensor], seed: tf.Tensor) -> dict[str, tf.Tensor]:
    """A batch of unpaired images -> what `CycleGAN.train_step` takes.

    Args:
        features: named features of a batch; `a` and `b` are NHWC images of the two
            domains, uint8 (0 to 255) or float32 in [0, 1]. Other features are left out.
        seed: a stateless-random seed, unused: the preprocessing is deterministic.

    Returns:
        {"a": images, "b": images}, float32 in [-1, 1].

    Example:
        >>> batch = preprocess({"a": tf.fill([1, 2, 2, 3], tf.constant(255, tf.uint8)),
        ...                     "b": tf.zeros([1, 2, 2, 3])}, seed=tf.constant([0, 0]))
        >>> float(batch["a"][0, 0, 0, 0]), float(batch["b"][0, 0, 0, 0])
        (1.0, -1.0)
    """
    del seed  # deterministic
    return {"a": to_generator_range(features["a"]), "b": to_generator_range(features["b"])}


FAMILY = Family(name="cyclegan", model_class=CycleGAN,
                optimizers=("generator_optimizer", "discriminator_optimizer"),
                preprocess=preprocess, signatures=signatures, preview=preview, plots=plots)
