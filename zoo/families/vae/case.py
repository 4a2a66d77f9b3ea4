"""The VAE's tiny test case (see `zoo.families.testing`)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from zoo.families.testing import FamilyCase, uint8_images


def _features(count: int) -> dict[str, np.ndarray]:
    return {"image": uint8_images(count, (8, 8, 1), seed=0),
            "label": np.arange(count, dtype=np.int64) % 10}


def _control(model) -> None:
    # The reparameterisation noise as a function of each example's posterior mean.
    model.sampling.noise = lambda mean: tf.stop_gradient(tf.sin(3.0 * mean + 1.0))


def _outputs(model, images):
    mean, log_variance = model.encoder(images)
    return {"mean": mean, "log_variance": log_variance, "logits": model.decoder(mean),
            "sample": model.sampling(mean, log_variance)}


def _served_and_exact(loaded, rebuilt, images):
    latent = np.random.default_rng(1).normal(size=(4, rebuilt.latent_dim)).astype("float32")
    return loaded.decode(latent=latent), np.asarray(rebuilt.decode(latent))


CASES = (FamilyCase("vae", "vae", {"image_shape": (8, 8, 1), "latent_dim": 3, "filters": (4,),
                                   "hidden_units": 8},
                    _features, _outputs, _served_and_exact, control=_control),)
