"""Plots of a pix2pix model (Isola et al., "Image-to-Image Translation with Conditional
Adversarial Networks", CVPR 2017): held-out examples as rows of input | output | target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from zoo.families.ranges import to_generator_range, to_unit_range
from zoo.images import example_rows, save_png

MAX_ROWS = 8


def translation_grid(inputs: np.ndarray, outputs: np.ndarray,
                     targets: np.ndarray) -> np.ndarray:
    """One row per example (at most 8): input | output | target, as one (H, W, C) grid.

    Columns with different channel counts (greyscale inputs and colour outputs,
    say) are all shown with three channels, greyscale in grey.

    Args:
        inputs, outputs, targets: NHWC images in [0, 1], the same number of each.

    Returns:
        The grid in [0, 1], one pixel of white between images.

    Example:
        >>> grid = translation_grid(np.zeros((2, 4, 4, 1)), np.ones((2, 4, 4, 3)),
        ...                         np.ones((2, 4, 4, 3)))
        >>> grid.shape, float(grid[0, 0].min()), float(grid[0, 5].min())
        ((9, 14, 3), 0.0, 1.0)
    """
    return example_rows([inputs, outputs, targets], rows=MAX_ROWS)


def preview(model: Any, held_out: dict[str, np.ndarray], seed: int) -> np.ndarray:
    """The per-epoch grid of the in-memory model's translations of held-out pairs.

    Args:
        model: a `Pix2Pix` being trained.
        held_out: {"input": images, "target": images}, NHWC float32 in [0, 1].
        seed: the dropout seed, used when the model has `test_time_dropout`.

    Returns:
        `translation_grid` of the first 8 examples: input | output | target rows.

    Example:
        >>> from zoo.families.pix2pix.model import Pix2Pix
        >>> model = Pix2Pix(image_size=8, input_channels=1, filters=2, patch_layers=1)
        >>> pairs = {"input": np.zeros((2, 8, 8, 1), "float32"),
        ...          "target": np.zeros((2, 8, 8, 3), "float32")}
        >>> preview(model, pairs, seed=0).shape
        (17, 26, 3)
    """
    inputs = np.asarray(held_out["input"], np.float32)[:MAX_ROWS]
    outputs = model.translate(to_generator_range(inputs),
                              seed if model.test_time_dropout else None)
    return translation_grid(inputs, to_unit_range(outputs).numpy(), held_out["target"])


def plots(model: Any, held_out: dict[str, np.ndarray], folder: Path,
          seed: int = 0) -> list[Path]:
    """Writes `translations.png`: input | output | target rows for up to 8 held-out pairs.

    Args:
        model: a loaded pix2pix export (`zoo.load`) with `translate`.
        held_out: {"input": images, "target": images}, NHWC float32 in [0, 1].
        folder: where the PNG goes.
        seed: the dropout seed, for exports with test-time dropout.

    Returns:
        The paths written.
    """
    inputs = np.asarray(held_out["input"], np.float32)[:MAX_ROWS]
    seeded = "seed" in [spec.name for spec in model.signatures["translate"].inputs]
    outputs = (model.translate(images=inputs, seed=seed) if seeded
               else model.translate(images=inputs))
    grid = translation_grid(inputs, outputs, held_out["target"])
    return [save_png(Path(folder) / "translations.png", grid)]
