"""The autoencoder's serving signatures: reconstruct (serving_default), encode, decode and
score.

None has a twin on encoded images: the zoo gives `*_bytes` twins to image-to-image
translations (`zoo translate`'s signatures, which return `images`) and `*_png` twins to
samplers; an autoencoder is neither (it draws nothing, and `reconstruct` returns
`reconstructions`, as the VAE's does).
"""

from __future__ import annotations

import tensorflow as tf

from zoo.families.autoencoder.model import Autoencoder
from zoo.families.complexity import complexity_corrected
from zoo.signatures import Signature, TensorInput, TensorOutput, image_input

ERROR_UNITS = {"bernoulli": "nats (binary cross-entropy summed over pixels)",
               "gaussian": "squared error summed over pixels"}
"""What `score` measures, by the model's reconstruction loss."""

COMPLEXITY_LEVELS = 2
"""The grey levels of the complexity correction: images thresholded at 0.5, as the VAE's are
(the shipped ae_mnist and the figures of docs/autoencoder.md use it; `complexity_bits` takes
2 to 256)."""


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
        score_signature(model, images),
    ]


def score_signature(model: Autoencoder, images: TensorInput) -> Signature:
    """`score`: per-example outlier scores, the recommended one first (`zoo.outliers`).

    With the Bernoulli loss, a negative log-likelihood in nats, the first is
    `complexity_corrected`: the reconstruction error in bits minus the PNG codelength of
    the image (Serra et al. 2020, `zoo.families.complexity`), since the error alone calls a
    blank page more typical than any digit (Nalisnick et al. 2019's failure of likelihood
    scores); then `reconstruction_error`; then `squared_error`, the squared error of the
    reconstruction (Ruff et al. 2018's autoencoder score): the cross-entropy of soft targets
    is their own entropy plus the reconstruction's divergence from them, and the entropy, which
    grows with the grey pixels along a digit's strokes, is no sign of an outlier among
    digits (docs/benchmarks.md, one-class MNIST). The Gaussian loss's squared error is no
    codelength, so it gives `reconstruction_error` alone.
    """
    error = TensorOutput("reconstruction_error", description=(
        f"{ERROR_UNITS[model.loss_name]}, of the image as given"))
    if model.loss_name != "bernoulli":
        return Signature("score", "per-example reconstruction error; higher is more unusual",
                         (images,), (error,),
                         lambda images: {"reconstruction_error":
                                         model.reconstruction_error(images)})

    def score(images: tf.Tensor) -> dict[str, tf.Tensor]:
        reconstruction_error = model.reconstruction_error(images)
        return {"complexity_corrected": complexity_corrected(reconstruction_error, images,
                                                             COMPLEXITY_LEVELS),
                "reconstruction_error": reconstruction_error,
                "squared_error": model.squared_error(images)}

    return Signature("score", "per-example outlier scores, higher is more unusual; the first, "
                     "complexity_corrected, is the recommended one", (images,), (
                         TensorOutput("complexity_corrected", description=(
                             "bits: the reconstruction error in bits minus the PNG codelength of "
                             "the image thresholded at 0.5 (Serra et al. 2020), so that inputs "
                             "simpler than the data are not scored typical")),
                         error,
                         TensorOutput("squared_error", description=(
                             "the reconstruction's squared error in [0, 1], summed over pixels "
                             "(Ruff et al. 2018's autoencoder score)"))), score)
