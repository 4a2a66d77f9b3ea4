"""The autoencoder's pictures: input | reconstruction rows of held-out images, for the
per-epoch preview (the model in training) and for the plots of an export (after training),
and the codes of the held-out images the plots are given in 2-D."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from zoo.images import example_rows, save_figure, tile  # noqa: E402

ROWS = 8
"""Held-out images shown in the reconstructions."""


def unit_images(images: np.ndarray) -> np.ndarray:
    """uint8 images (0 to 255) or floats in [0, 1] -> float32 in [0, 1].

    Example:
        >>> unit_images(np.array([0, 51, 255], np.uint8))
        array([0. , 0.2, 1. ], dtype=float32)
    """
    images = np.asarray(images)
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    return (images / np.float32(scale)).astype(np.float32)


def to_2d(code: np.ndarray) -> tuple[np.ndarray, str]:
    """Codes as points in 2-D, with the axes' caption: the code itself when it has two
    dimensions, else its projection on the first two principal components (numpy's SVD of
    the centred codes); a one-dimensional code is shown against zero.

    Example:
        >>> points, caption = to_2d(np.array([[0.0, 0, 0], [2, 2, 0], [4, 4, 0.5]]))
        >>> points.shape, caption
        ((3, 2), 'first two principal components of the code')
    """
    code = np.asarray(code, np.float64)
    if code.shape[1] == 2:
        return code, "code dimensions 1 and 2"
    if code.shape[1] == 1:
        return np.concatenate([code, np.zeros_like(code)], axis=1), "code dimension 1"
    centred = code - code.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    points = centred @ components[:2].T
    if points.shape[1] < 2:  # a single example: one component
        points = np.concatenate([points, np.zeros_like(points)], axis=1)
    return points, "first two principal components of the code"


def preview(model: Any, held_out: Mapping[str, np.ndarray], seed: int) -> np.ndarray:
    """The per-epoch grid: held-out images | their reconstructions, one row each.

    Args:
        model: the `Autoencoder` being trained.
        held_out: held-out named features; `image` holds the images (uint8 or [0, 1]).
        seed: unused: reconstructions are deterministic.

    Example:
        >>> from zoo.families.autoencoder.model import Autoencoder
        >>> model = Autoencoder(image_shape=(8, 8, 1), code_dim=2, filters=(4,), hidden_units=0)
        >>> preview(model, {"image": np.zeros((3, 8, 8, 1), np.uint8)}, seed=0).shape
        (26, 17, 1)
    """
    del seed
    inputs = unit_images(held_out["image"][:ROWS])
    return example_rows([inputs, np.asarray(model.reconstruct(inputs))])


def _codes_figure(points: np.ndarray, caption: str, labels: np.ndarray | None) -> Any:
    figure, axis = plt.subplots(figsize=(6, 5))
    if labels is None:
        axis.scatter(points[:, 0], points[:, 1], s=8, color="tab:blue")
    else:
        for label in np.unique(labels):
            chosen = labels == label
            axis.scatter(points[chosen, 0], points[chosen, 1], s=8, label=str(label))
        axis.legend(title="label", markerscale=2, fontsize="small", loc="best")
    axis.set_title(f"codes of the {len(points)} held-out images shown: {caption}")
    return figure


def _reconstructions_figure(inputs: np.ndarray, reconstructions: np.ndarray) -> Any:
    """Two columns, titled as the VAE's: the inputs and, beside each, its reconstruction."""
    figure, axes = plt.subplots(1, 2, figsize=(3, 1 + len(inputs)))
    for axis, images, title in ((axes[0], inputs, "input"),
                                (axes[1], reconstructions, "reconstruction")):
        grid = tile(np.asarray(images), 1)
        axis.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0.0,
                    vmax=1.0)
        axis.set_title(title)
        axis.axis("off")
    return figure


def plots(model: Any, held_out: Mapping[str, np.ndarray], folder: Path) -> list[Path]:
    """Writes `reconstructions.png` (the first `ROWS` held-out images given, in a column
    titled input, beside their reconstructions) and `codes.png` (the codes of the held-out
    images given, in 2-D, coloured by `label` when the held-out features have it) from a
    loaded export (`zoo.load`); returns the paths written.

    The training runtime gives the plots its few held-out images
    (`zoo.runtime.train.HELD_OUT_COUNT`), so its `codes.png` shows those, not the whole
    held-out split.

    Args:
        model: a loaded autoencoder export, with reconstruct and encode.
        held_out: held-out named features; `image` holds the images (uint8 or [0, 1]),
            `label` their classes (optional).
        folder: where the PNGs go.
    """
    folder = Path(folder)
    images = unit_images(held_out["image"])
    inputs = images[:ROWS]
    written = [save_figure(folder / "reconstructions.png", _reconstructions_figure(
        inputs, model.reconstruct(inputs)))]
    codes = np.concatenate([model.encode(images[start:start + 256])
                            for start in range(0, len(images), 256)])
    points, caption = to_2d(codes)
    labels = held_out.get("label")
    written.append(save_figure(folder / "codes.png", _codes_figure(
        points, caption, None if labels is None else np.asarray(labels)[:len(points)])))
    return written
