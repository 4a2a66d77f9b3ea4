"""The autoencoder's tiny test case (see `zoo.families.testing`): sparse and denoising at
once, so that the L1 penalty and the corruption both run in the shared tests."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from zoo.families.testing import FamilyCase, uint8_images


def _features(count: int) -> dict[str, np.ndarray]:
    return {"image": uint8_images(count, (8, 8, 1), seed=4),
            "label": np.arange(count, dtype=np.int64) % 10}


def _control(model) -> None:
    # The corruption noise as a function of each example's pixels.
    model.corruption_noise = lambda images: tf.stop_gradient(tf.sin(7.0 * images + 1.0))


def _outputs(model, images):
    code = model.encoder(images)
    return {"code": code, "logits": model.decoder(code),
            "reconstruction_error": model.reconstruction_error(images)}


def _served_and_exact(loaded, rebuilt, images):
    images = np.asarray(images)
    return loaded.reconstruct(images=images), np.asarray(rebuilt.reconstruct(images))


CASES = (FamilyCase("autoencoder", "autoencoder",
                    {"image_shape": (8, 8, 1), "code_dim": 3, "filters": (4,),
                     "hidden_units": 8, "sparsity": 0.01, "denoising": 0.3},
                    _features, _outputs, _served_and_exact, control=_control),)
