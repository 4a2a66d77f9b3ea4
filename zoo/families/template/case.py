"""The template family's tiny test case: with it, the family passes the conformance, mixed
precision and serving tests every family passes (see `zoo.families.testing`)."""

from __future__ import annotations

import numpy as np

from zoo.families.testing import FamilyCase, uint8_images


def _features(count: int) -> dict[str, np.ndarray]:
    """Named features as the data layer hands them over: paired uint8 images."""
    return {"input": uint8_images(count, (8, 8, 1), seed=1),
            "target": uint8_images(count, (8, 8, 3), seed=2)}


def _outputs(model, batch):
    """What the network hands to the loss and the export: float32 under mixed precision."""
    return {"images": model.translate(batch["input"])}


def _served_and_exact(loaded, rebuilt, batch):
    """The export's translation and the float32 model's, of the same images."""
    images = np.asarray(batch["input"])
    return loaded.translate(images=images), np.asarray(rebuilt.translate(images))


CASES = (FamilyCase("template", "template",
                    {"input_channels": 1, "output_channels": 3, "filters": 4, "layers": 1},
                    _features, _outputs, _served_and_exact),)
