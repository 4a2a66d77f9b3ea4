"""The autoencoder's serving signatures: reconstruct (serving_default), encode, decode and
score.

None has a twin on encoded images: the zoo gives `*_bytes` twins to image-to-image
translations (`zoo translate`'s signatures, which return `images`) and `*_png` twins to
samplers; an autoencoder is neither (it draws nothing, and `reconstruct` returns
`reconstructions`, as the VAE's does).
"""

from __future__ import annotations

from zoo.families.autoencoder.model import Autoencoder
from zoo.signatures import Signature, TensorInput, image_input

ERROR_UNITS = {"bernoulli": "nats (binary cross-entropy summed over pixels)",
               "gaussian": "squared error summed over pixels"}
"""What `score` measures, by the model's reconstruction loss."""


def signatures(model: Autoencoder) -> list[Signature]:
    """The exported signatures of an autoencoder; images are NHWC float32 in [0, 1].

    Example:
        >>> model = Autoencoder(image_shape=(8, 8, 1), code_dim=3, filters=(4,), hidden_units=8)
        >>> [signature.name for signature in signatures(model)]
        ['reconstruct', 'encode', 'decode', 'score']
    """
    images = image_input("images", model.image_shape, "images, pixel intensities")
    code = TensorInput("code", (None, model.code_dim), "float32", "codes, as encode returns")
    return [
        Signature("reconstruct", "each image decoded from its code, in [0, 1]",
                  (images,), ("reconstructions",),
                  lambda images: {"reconstructions": model.reconstruct(images)}),
        Signature("encode", "the code of each image", (images,), ("code",),
                  lambda images: {"code": model.encode(images)}),
        Signature("decode", "the image decoded from each code, in [0, 1]", (code,),
                  ("images",), lambda code: {"images": model.decode(code)}),
        Signature("score", f"per-example reconstruction error of the image as given, in "
                  f"{ERROR_UNITS[model.loss_name]}; higher is more unusual",
                  (images,), ("reconstruction_error",),
                  lambda images: {"reconstruction_error": model.reconstruction_error(images)}),
    ]
