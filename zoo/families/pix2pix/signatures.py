"""The pix2pix serving signatures (Isola et al., "Image-to-Image Translation with Conditional
Adversarial Networks", CVPR 2017): `translate` (also serving_default) and its twin on encoded
images, `translate_bytes`.

Images cross the serving boundary as NHWC float32 in [0, 1] (`zoo.signatures`), or
as JPEG/PNG in and PNG out for the twin; the model works in [-1, 1], the range of
the generator's tanh.
"""

from __future__ import annotations


from zoo.families.pix2pix.model import Pix2Pix
from zoo.families.ranges import to_generator_range, to_unit_range
from zoo.signature_graphs import image_bytes_twin
from zoo.signatures import Signature, TensorInput, image_input


def signatures(model: Pix2Pix) -> list[Signature]:
    """`translate(images[, seed])`: each input image translated, NHWC in [0, 1]; and
    `translate_bytes(image_bytes[, seed])`, the same on JPEG or PNG images (resized to
    the model's image size), returning a PNG of each translation.

    Deterministic (dropout off, batch norm's moving statistics); with the
    model's `test_time_dropout`, dropout is on with masks drawn from the int64
    `seed` input, so the same seed gives the same images.

    Args:
        model: the pix2pix model to export.

    Returns:
        The two signatures, `translate` first (serving_default).

    Example:
        >>> model = Pix2Pix(image_size=8, input_channels=1, filters=2, patch_layers=1)
        >>> [(signature.name, [spec.name for spec in signature.inputs])
        ...  for signature in signatures(model)]
        [('translate', ['images']), ('translate_bytes', ['image_bytes'])]
    """
    size, channels = model.image_size, model.input_channels
    images = image_input("images", (size, size, channels), "input images to translate")
    description = "the generator's translation of each input image"
    if not model.test_time_dropout:
        translate = Signature("translate", f"{description}, deterministic", (images,),
                              ("images",), lambda images: {"images": to_unit_range(
                                  model.translate(to_generator_range(images)))})
    else:
        seed = TensorInput("seed", (), "int64",
                           "seed of the dropout masks; the same seed gives the same images")
        translate = Signature("translate", f"{description}, with dropout masks drawn from the "
                              "seed", (images, seed), ("images",),
                              lambda images, seed: {"images": to_unit_range(
                                  model.translate(to_generator_range(images), seed))})
    return [translate, image_bytes_twin(translate, size, channels)]
