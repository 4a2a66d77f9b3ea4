"""The diffusion model's tiny test case (see `zoo.families.testing`): the linear schedule with
self-attention, so that DDPM's schedule and the attention blocks both run in the shared tests
(the cosine schedule runs in tests/families/test_diffusion_*.py)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from zoo.families.testing import FamilyCase, example_noise, uint8_images


def _features(count: int) -> dict[str, np.ndarray]:
    return {"image": uint8_images(count, (8, 8, 1), seed=5),
            "label": np.arange(count, dtype=np.int64) % 10}


def _control(model) -> None:
    # The noise and the times as functions of each example's pixels.
    def draw(images):
        noise = tf.reshape(example_noise(images, 64), tf.shape(images))
        return tf.stop_gradient(noise), tf.stop_gradient(
            0.5 + 0.5 * tf.sin(tf.reduce_sum(images, axis=[1, 2, 3])))
    model.draw = draw


def _outputs(model, images):
    noise_rates = tf.fill([tf.shape(images)[0]], 0.5)
    predicted_noise, predicted = model.denoise(images, noise_rates)
    return {"noise": predicted_noise, "images": predicted,
            "samples": model.generate(tf.zeros_like(images), steps=2)}


def _served_and_exact(loaded, rebuilt, images):
    noise = np.random.default_rng(1).normal(size=np.shape(images)).astype("float32")
    exact = rebuilt.generate(tf.constant(noise), steps=3)
    return loaded.generate(noise=noise, steps=3), (np.asarray(exact) + 1.0) / 2.0


CASES = (FamilyCase("diffusion", "diffusion",
                    {"image_shape": (8, 8, 1), "widths": (8, 16), "block_depth": 1,
                     "embedding_dims": 8, "norm_groups": 4, "attention_resolutions": (4,),
                     "schedule": "linear", "loss": "mse"},
                    _features, _outputs, _served_and_exact, control=_control),)
