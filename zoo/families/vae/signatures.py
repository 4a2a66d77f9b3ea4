"""The VAE's serving signatures: encode, decode, reconstruct (serving_default), sample, score,
and sample_png (the images of sample as one PNG grid)."""

from __future__ import annotations

import tensorflow as tf

from zoo.families.vae.model import VAE
from zoo.signature_graphs import png_grid_twin
from zoo.signatures import Signature, TensorInput, image_input

MAX_SAMPLE_COUNT = 4096
SCORE_DRAWS = 16


def signatures(model: VAE) -> list[Signature]:
    """The exported signatures of a VAE; images are NHWC float32 in [0, 1]."""
    images = image_input("images", model.image_shape, "images, pixel intensities")
    latent = TensorInput("latent", (None, model.latent_dim), "float32", "latent vectors z")
    count = TensorInput("count", (), "int32", "number of images to draw", 1, MAX_SAMPLE_COUNT)
    seed = TensorInput("seed", (), "int64", "random seed; the same seed gives the same images")

    def encode(images: tf.Tensor) -> dict[str, tf.Tensor]:
        mean, log_variance = model.encoder(images)
        return {"mean": mean, "log_variance": log_variance}

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
        Signature("score", f"per-example negative ELBO in nats ({SCORE_DRAWS} draws of z, "
                  "fixed seed; binarised inputs give the Bernoulli bound); higher is more unusual",
                  (images,), ("negative_elbo",),
                  lambda images: {"negative_elbo": model.negative_elbo(images, SCORE_DRAWS)}),
        png_grid_twin(sample),
    ]
