"""Plots of a CycleGAN (Zhu et al., "Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks", ICCV 2017): held-out images of each domain, their
translations and their reconstructions through both generators."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from zoo.families.ranges import to_generator_range, to_unit_range
from zoo.images import example_rows, save_png

MAX_ROWS = 8
"""Held-out images shown of each domain."""
GAP = 4
"""White columns between the A and the B grid."""

Translate = Callable[[np.ndarray], np.ndarray]
"""Images in [0, 1] -> their translations in [0, 1]."""


def cycle_grid(held_out: dict[str, np.ndarray], a_to_b: Translate, b_to_a: Translate
               ) -> np.ndarray:
    """Rows of A | a_to_b(A) | b_to_a(a_to_b(A)) beside rows of B | b_to_a(B) | a_to_b(b_to_a(B)).

    Args:
        held_out: {"a": images, "b": images}, NHWC float32 in [0, 1]; the first 8 of
            each are shown.
        a_to_b, b_to_a: the two translations, on images in [0, 1].

    Returns:
        One (H, W, C) grid in [0, 1]: the domain A grid, a white gap, the domain B
        grid (the shorter padded with white below).

    Example:
        >>> held_out = {"a": np.zeros((2, 4, 4, 3)), "b": np.ones((3, 4, 4, 3))}
        >>> cycle_grid(held_out, lambda x: 1 - x, lambda x: 1 - x).shape
        (14, 32, 3)
    """
    grids = []
    for domain, forward, backward in (("a", a_to_b, b_to_a), ("b", b_to_a, a_to_b)):
        images = np.asarray(held_out[domain], np.float32)[:MAX_ROWS]
        translated = np.asarray(forward(images), np.float32)
        grids.append(example_rows([images, translated, backward(translated)], rows=MAX_ROWS))
    height = max(grid.shape[0] for grid in grids)
    grids = [np.pad(grid, ((0, height - grid.shape[0]), (0, 0), (0, 0)), constant_values=1.0)
             for grid in grids]
    gap = np.ones((height, GAP, grids[0].shape[-1]), np.float32)
    return np.concatenate([grids[0], gap, grids[1]], axis=1)


def preview(model: Any, held_out: dict[str, np.ndarray], seed: int) -> np.ndarray:
    """The per-epoch grid of the in-memory model's translations and cycles (see `cycle_grid`).

    Args:
        model: a `CycleGAN` being trained.
        held_out: {"a": images, "b": images}, NHWC float32 in [0, 1].
        seed: unused: the translations are deterministic.

    Returns:
        The grid, (H, W, 3) in [0, 1].

    Example:
        >>> from zoo.families.cyclegan.model import CycleGAN
        >>> model = CycleGAN(image_size=8, filters=2, residual_blocks=1, patch_layers=0)
        >>> images = {"a": np.zeros((2, 8, 8, 3), "float32"),
        ...           "b": np.zeros((2, 8, 8, 3), "float32")}
        >>> preview(model, images, seed=0).shape
        (17, 56, 3)
    """
    del seed  # deterministic

    def unit(generator: Callable) -> Translate:
        return lambda images: to_unit_range(generator(to_generator_range(images))).numpy()

    return cycle_grid(held_out, unit(model.a_to_b), unit(model.b_to_a))


def plots(model: Any, held_out: dict[str, np.ndarray], folder: Path) -> list[Path]:
    """Writes `translations.png`: the export's translations and cycles of held-out images.

    Args:
        model: a loaded CycleGAN export (`zoo.load`) with `a_to_b` and `b_to_a`.
        held_out: {"a": images, "b": images}, NHWC float32 in [0, 1].
        folder: where the PNG goes.

    Returns:
        The paths written.
    """
    grid = cycle_grid(held_out, lambda images: model.a_to_b(images=images),
                      lambda images: model.b_to_a(images=images))
    return [save_png(Path(folder) / "translations.png", grid)]
