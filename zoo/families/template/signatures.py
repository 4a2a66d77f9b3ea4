"""The template family's serving signatures: `translate` (serving_default).

Images cross the serving boundary as NHWC float32 in [0, 1] (`zoo.signatures`). A family
declares each signature once, with its inputs' shapes, dtypes and ranges; the export checks
inputs in the graph, `zoo.load` checks them in numpy, and `zoo translate` finds a model's
translations by their image-in, image-out signatures.
"""

from __future__ import annotations

from zoo.families.template.model import Template
from zoo.signatures import Signature, image_input


def signatures(model: Template) -> list[Signature]:
    """`translate(images)`: each image's translation, NHWC in [0, 1], any height and width.

    Example:
        >>> [signature.name for signature in signatures(Template(filters=2, layers=1))]
        ['translate']
    """
    images = image_input("images", (None, None, model.input_channels), "images to translate")
    return [Signature("translate", "each image's translation, deterministic", (images,),
                      ("images",), lambda images: {"images": model.translate(images)})]
