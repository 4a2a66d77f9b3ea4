"""The diffusion model's serving signatures: sample (serving_default), generate, denoise, and
sample_png (the images of `sample` as one PNG grid)."""

from __future__ import annotations

import math

import tensorflow as tf

from zoo.families.diffusion.model import Diffusion
from zoo.families.ranges import to_unit_range
from zoo.signature_graphs import png_grid_twin
from zoo.signatures import Signature, TensorInput

MAX_SAMPLE_COUNT = 1024
MAX_STEPS = 1000
"""The most sampling steps a call may ask for: DDPM's number of steps."""
DEFAULT_STEPS = 20
"""The sampling steps `zoo.load` and `zoo sample` use when none are given."""
NOISY_BOUND = 10.0
"""The largest magnitude `denoise` takes in its noisy images."""


def _starting_noise(model: Diffusion, count: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    shape = tf.concat([tf.reshape(count, [1]), tf.constant(model.image_shape, tf.int32)], 0)
    return tf.random.stateless_normal(shape, tf.stack([tf.cast(seed, tf.int64), 0]))


def signatures(model: Diffusion) -> list[Signature]:
    """`sample(count, seed, steps, eta)` and `generate(noise, steps)`, images NHWC in [0, 1];
    `denoise(noisy_images, noise_level)`, one prediction of the noise and of the clean
    images; `sample_png(count, seed, steps, eta)`, the images of `sample` as one PNG grid."""
    height, width, channels = model.image_shape
    low, high = model.schedule.noise_rate_range
    count = TensorInput("count", (), "int32", "number of images to draw", 1, MAX_SAMPLE_COUNT)
    seed = TensorInput("seed", (), "int64",
                       "random seed; the same seed and settings give the same images")
    steps = TensorInput("steps", (), "int32",
                        f"DDIM sampling steps (more: slower and closer to the model's "
                        f"distribution; {DEFAULT_STEPS} is a good start)", 1, MAX_STEPS,
                        default=DEFAULT_STEPS)
    eta = TensorInput("eta", (), "float32", "DDIM's eta: 0 deterministic given the seed's "
                      "starting noise, 1 DDPM-like fresh noise at every step", 0.0, 1.0,
                      default=0.0)
    noise = TensorInput("noise", (None, height, width, channels), "float32",
                        "starting noise, standard normal per pixel")
    # Noisy images of pictures in [0, 1] stay within NOISY_BOUND but for a standard normal
    # draw beyond 9 standard deviations; pictures in [0, 255] are far outside it.
    noisy = TensorInput("noisy_images", (None, height, width, channels), "float32",
                        "noisy images sqrt(1 - noise_level**2) * (2 * image - 1) + "
                        "noise_level * noise, for images in [0, 1] (not [0, 255]) and standard "
                        "normal noise", -NOISY_BOUND, NOISY_BOUND)
    noise_level = TensorInput("noise_level", (None,), "float32",
                              f"each noisy image's noise rate, from {low:.4g} (the least noise "
                              f"trained on) to {high:.4g} (the most)",
                              math.floor(low * 1e6) / 1e6, round(high, 6))

    sample = Signature(
        "sample", "images drawn with DDIM from starting noise drawn from the seed",
        (count, seed, steps, eta), ("images",),
        lambda count, seed, steps, eta: {"images": to_unit_range(model.generate(
            _starting_noise(model, count, seed), steps, eta, seed))})

    def denoise(noisy_images: tf.Tensor, noise_level: tf.Tensor) -> dict[str, tf.Tensor]:
        predicted_noise, predicted = model.denoise(noisy_images, noise_level)
        return {"noise": predicted_noise, "images": to_unit_range(predicted)}

    return [
        sample,
        Signature("generate", "images drawn with deterministic DDIM (eta 0) from the given "
                  "starting noise", (noise, steps), ("images",),
                  lambda noise, steps: {"images": to_unit_range(model.generate(noise, steps))}),
        Signature("denoise", "one prediction of the noise in noisy images and of the clean "
                  "images (in [0, 1], clipped)", (noisy, noise_level), ("noise", "images"),
                  denoise),
        png_grid_twin(sample),
    ]
