"""CycleGAN's tiny test case (see `zoo.families.testing`). Pools of 4, full within the first
step, so that their draws count; the draws need no control: one pool serves the global batch,
with the same draws on every replica."""

from __future__ import annotations

import numpy as np

from zoo.families.testing import FamilyCase, uint8_images


def _features(count: int) -> dict[str, np.ndarray]:
    return {"a": uint8_images(count, (8, 8, 3), seed=2),
            "b": uint8_images(count, (8, 8, 3), seed=3)}


def _outputs(model, batch):
    return {"a_to_b": model.a_to_b(batch["a"]), "b_to_a": model.b_to_a(batch["b"]),
            "scores_a": model.discriminator_a(batch["a"]),
            "scores_b": model.discriminator_b(batch["b"])}


def _served_and_exact(loaded, rebuilt, batch):
    images = np.asarray(batch["a"]) / 2.0 + 0.5
    return loaded.a_to_b(images), (np.asarray(rebuilt.a_to_b(images * 2.0 - 1.0)) + 1.0) / 2.0


CASES = (FamilyCase("cyclegan", "cyclegan",
                    {"image_size": 8, "filters": 4, "residual_blocks": 1, "patch_layers": 1,
                     "pool_size": 4},
                    _features, _outputs, _served_and_exact),)
