"""The VAE's serving signatures: encode, decode, reconstruct (serving_default), sample, score,
and sample_png (the images of sample as one PNG grid)."""

from __future__ import annotations

import tensorflow as tf

from zoo.families.complexity import complexity_corrected
from zoo.families.vae.model import VAE
from zoo.signature_graphs import png_grid_twin
from zoo.signatures import Signature, TensorInput, TensorOutput, image_input

MAX_SAMPLE_COUNT = 4096
SCORE_DRAWS = 16
COMPLEXITY_LEVELS = 2
"""The VAE models binary pixels (Bernoulli), so the complexity correction measures the PNG
codelength of each image thresholded at 0.5."""


def signatures(model: VAE) -> list[Signature]:
    """The exported signatures of a VAE; images are NHWC float32 in [0, 1]."""
    images = image_input("images", model.image_shape, "images, pixel intensities")
    latent = TensorInput("latent", (None, model.latent_dim), "float32", "latent vectors z")
    count = TensorInput("count", (), "int32", "number of images to draw", 1, MAX_SAMPLE_COUNT)
    seed = TensorInput("seed", (), "int64", "random seed; the same seed gives the same images")

    def encode(images: tf.Tensor) -> dict[str, tf.Tensor]:
        mean, log_variance = model.encoder(images)
        return {"mean": mean, "log_variance": log_variance}

    def score(images: tf.Tensor) -> dict[str, tf.Tensor]:
        # The negative ELBO alone scores a blank page as more typical than any digit
        # (Nalisnick et al. 2019); the complexity correction does not (docs/vae.md).
        negative_elbo = model.negative_elbo(images, SCORE_DRAWS)
        return {"complexity_corrected": complexity_corrected(negative_elbo, images,
                                                             COMPLEXITY_LEVELS),
                "negative_elbo": negative_elbo}

    sample = Signature("sample", "images decoded from z ~ N(0, I) drawn from the seed",
                       (count, seed), ("images",),
                       lambda count, seed: {"images": model.sample(count, seed)})
    return [
        Signature("reconstruct", "pixel probabilities decoded from the posterior mean",
                  (images,), ("reconstructions",),
                  lambda images: {"reconstructions": model.reconstruct(images)}),
        Signature("encode", "mean and log-variance of the Gaussian posterior q(z | x)",
                  (images,), ("mean", "log_variance"), encode),
        Signature("decode", "pixel probabilities p(x = 1 | z)",
                  (latent,), ("images",), lambda latent: {"images": model.decode(latent)}),
        sample,
        Signature("score", "per-example outlier scores, higher is more unusual; the first, "
                  "complexity_corrected, is the recommended one",
                  (images,), (
                      TensorOutput("complexity_corrected", description=(
                          "bits: the negative ELBO in bits minus the PNG codelength of the image "
                          "thresholded at 0.5 (Serra et al. 2020), so that inputs simpler than the "
                          "data are not scored typical")),
                      TensorOutput("negative_elbo", description=(
                          f"nats, {SCORE_DRAWS} draws of z with a fixed seed; binarised inputs "
                          "give the Bernoulli bound"))),
                  score),
        png_grid_twin(sample),
    ]
