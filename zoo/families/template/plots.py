"""The template family's pictures: input | output | target rows of held-out pairs, for the
per-epoch preview (the model in training) and for the plots of an export (after training)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from zoo.images import example_rows, save_png

ROWS = 8
"""Held-out pairs shown."""


def preview(model: Any, held_out: dict[str, np.ndarray], seed: int) -> np.ndarray:
    """The per-epoch grid of the model's translations of held-out pairs.

    Args:
        model: the `Template` being trained.
        held_out: {"input": images, "target": images}, NHWC float32 in [0, 1].
        seed: unused: the translation is deterministic.

    Example:
        >>> from zoo.families.template.model import Template
        >>> pairs = {"input": np.zeros((2, 8, 8, 1), "float32"),
        ...          "target": np.zeros((2, 8, 8, 1), "float32")}
        >>> preview(Template(filters=2, layers=1), pairs, seed=0).shape
        (17, 26, 1)
    """
    inputs = np.asarray(held_out["input"], np.float32)[:ROWS]
    return example_rows([inputs, model.translate(inputs).numpy(), held_out["target"]], rows=ROWS)


def plots(model: Any, held_out: dict[str, np.ndarray], folder: Path) -> list[Path]:
    """Writes `translations.png` from a loaded export (`zoo.load`); returns the paths written."""
    inputs = np.asarray(held_out["input"], np.float32)[:ROWS]
    grid = example_rows([inputs, model.translate(images=inputs), held_out["target"]], rows=ROWS)
    return [save_png(Path(folder) / "translations.png", grid)]
