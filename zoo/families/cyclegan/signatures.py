"""The CycleGAN serving signatures (Zhu et al., "Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks", ICCV 2017): `a_to_b` (also serving_default) and
`b_to_a`, one per generator; and their twins on encoded images, `a_to_b_bytes` and
`b_to_a_bytes` (JPEG or PNG in, resized to the model's image size; PNG out).

Images cross the serving boundary as NHWC float32 in [0, 1] (`zoo.signatures`);
the model works in [-1, 1], the range of the generators' tanh. The generators
are fully convolutional, so the signatures take any height and width that are
multiples of 4, not only the training size: a model trained on 256 px crops
translates whole photos.
"""

from __future__ import annotations

from typing import Callable

import tensorflow as tf

from zoo.families.cyclegan.model import CHANNELS, CycleGAN
from zoo.families.cyclegan.networks import SIZE_MULTIPLE, SMALLEST_SIZE
from zoo.families.ranges import to_generator_range, to_unit_range
from zoo.signature_graphs import image_bytes_twin
from zoo.signatures import IMAGE_RANGE, Signature, TensorInput


def _translation(generator: Callable[[tf.Tensor], tf.Tensor]
                 ) -> Callable[[tf.Tensor], dict[str, tf.Tensor]]:
    """[0, 1] images -> {"images": the generator's translations in [0, 1]}."""
    def translate(images: tf.Tensor) -> dict[str, tf.Tensor]:
        # multiple_of is checked with the other declared rules; the smallest size is
        # this family's own, and otherwise fails deep inside the reflection padding.
        smallest = tf.debugging.assert_greater_equal(
            tf.shape(images)[1:3], SMALLEST_SIZE,
            message=f"images must be at least {SMALLEST_SIZE}x{SMALLEST_SIZE}")
        with tf.control_dependencies([smallest]):
            images = tf.identity(images)
        return {"images": to_unit_range(generator(to_generator_range(images)))}
    return translate


def signatures(model: CycleGAN) -> list[Signature]:
    """`a_to_b(images)` and `b_to_a(images)`: each image translated, NHWC in [0, 1];
    `a_to_b_bytes(image_bytes)` and `b_to_a_bytes(image_bytes)`: the same on JPEG or
    PNG images resized to the model's image size, returning a PNG of each translation.

    Deterministic: the generators have no dropout and instance norm uses each
    image's own statistics.

    Args:
        model: the CycleGAN to export.

    Returns:
        The four signatures, `a_to_b` first (serving_default).

    Example:
        >>> model = CycleGAN(image_size=8, filters=2, residual_blocks=1, patch_layers=0)
        >>> [(signature.name, signature.inputs[0].multiple_of)
        ...  for signature in signatures(model)]
        [('a_to_b', 4), ('b_to_a', 4), ('a_to_b_bytes', None), ('b_to_a_bytes', None)]
    """
    def images(domain: str) -> TensorInput:
        return TensorInput("images", (None, None, None, CHANNELS), "float32",
                           f"domain {domain} images to translate, height and width multiples "
                           f"of {SIZE_MULTIPLE} of at least {SMALLEST_SIZE}", *IMAGE_RANGE,
                           multiple_of=SIZE_MULTIPLE)

    translations = [
        Signature("a_to_b", "G_AB's translation of each domain A image to domain B",
                  (images("A"),), ("images",), _translation(model.a_to_b)),
        Signature("b_to_a", "G_BA's translation of each domain B image to domain A",
                  (images("B"),), ("images",), _translation(model.b_to_a))]
    return translations + [image_bytes_twin(translation, model.image_size, CHANNELS)
                           for translation in translations]
