"""The GAN's tiny test cases, unconditional and class-conditional (see `zoo.families.testing`).
Dropout is off: the discriminator's masks would differ by replica; an 8-D latent keeps the
generator's first layer small."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from zoo.families.testing import FamilyCase, example_noise, uint8_images


def _features(count: int) -> dict[str, np.ndarray]:
    return {"image": uint8_images(count, (28, 28, 1), seed=0),
            "label": np.arange(count, dtype=np.int64) % 4}


def _control(model) -> None:
    model.draw_latent = lambda reference: example_noise(reference, model.latent_dim)


def _labels(model, count: int):
    return tf.range(count) % model.num_classes if model.conditional else None


def _outputs(model, batch):
    images, labels = batch
    return {"images": model.generate(tf.zeros([4, model.latent_dim]), _labels(model, 4)),
            "scores": model.score(images, labels if model.conditional else None)}


def _served_and_exact(loaded, rebuilt, batch):
    latent = np.random.default_rng(1).normal(size=(4, rebuilt.latent_dim)).astype("float32")
    labels = _labels(rebuilt, 4)
    inputs = {"latent": latent} | ({} if labels is None else {"labels": labels.numpy()})
    exact = rebuilt.generate(tf.constant(latent), labels)
    return loaded.generate(**inputs), (np.asarray(exact) + 1.0) / 2.0


_CONFIG = {"architecture": "dcgan28", "latent_dim": 8, "dropout": 0.0}
CASES = (FamilyCase("gan", "gan", _CONFIG, _features, _outputs, _served_and_exact, _control),
         FamilyCase("cgan", "gan", {**_CONFIG, "num_classes": 4}, _features, _outputs,
                    _served_and_exact, _control))
