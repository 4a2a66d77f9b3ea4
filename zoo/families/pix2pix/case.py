"""pix2pix's tiny test case, grey in and colour out (see `zoo.families.testing`). Dropout is
off: pix2pix's only random draws, so the step is the same on any replica."""

from __future__ import annotations

import numpy as np

from zoo.families.testing import FamilyCase, uint8_images


def _features(count: int) -> dict[str, np.ndarray]:
    return {"input": uint8_images(count, (16, 16, 1), seed=1),
            "target": uint8_images(count, (16, 16, 3), seed=2)}


def _outputs(model, batch):
    return {"images": model.translate(batch["input"]),
            "scores": model.discriminator([batch["input"], batch["target"]])}


def _served_and_exact(loaded, rebuilt, batch):
    images = np.asarray(batch["input"]) / 2.0 + 0.5
    return loaded.translate(images), (np.asarray(rebuilt(images * 2.0 - 1.0)) + 1.0) / 2.0


CASES = (FamilyCase("pix2pix", "pix2pix",
                    {"image_size": 16, "input_channels": 1, "output_channels": 3, "filters": 4,
                     "patch_layers": 1, "dropout": 0.0},
                    _features, _outputs, _served_and_exact),)
