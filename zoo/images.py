"""Image grids and PNG files, written atomically."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import numpy as np


def tile(images: np.ndarray, columns: int | None = None, pad: int = 1) -> np.ndarray:
    """Arranges NHWC images in [0, 1] into one (H', W', C) grid, row by row.

    Args:
        images: array of shape (n, height, width, channels), values in [0, 1].
        columns: images per row; default the smallest square that fits.
        pad: pixels of white between images.

    Returns:
        float array of the grid, values in [0, 1].

    Example:
        >>> tile(np.zeros((6, 2, 2, 1)), columns=3).shape
        (5, 8, 1)
    """
    images = np.asarray(images, dtype=np.float32)
    count, height, width, channels = images.shape
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    grid = np.ones((rows * (height + pad) - pad, columns * (width + pad) - pad, channels),
                   np.float32)
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        top, left = row * (height + pad), column * (width + pad)
        grid[top:top + height, left:left + width] = image
    return grid


def _rgb(images: np.ndarray) -> np.ndarray:
    """Images as three channels: grey repeated, a second channel padded with zeros, extra
    channels beyond the third left out."""
    channels = images.shape[-1]
    if channels == 1:
        return np.repeat(images, 3, axis=-1)
    if channels == 2:
        return np.concatenate([images, np.zeros_like(images[..., :1])], axis=-1)
    return images[..., :3]


def example_rows(columns: list[np.ndarray], rows: int | None = None, rgb: bool = False
                 ) -> np.ndarray:
    """One row per example, one column per array (input | output | target, say), as a grid.

    Columns with different channel counts (greyscale inputs and colour outputs),
    or all columns when `rgb`, are shown with three channels, greyscale in grey.

    Args:
        columns: NHWC image arrays in [0, 1] of the same height and width.
        rows: examples shown (the first ones); None for all of the shortest column.
        rgb: three channels whatever the columns hold.

    Returns:
        The (H, W, C) grid in [0, 1], one pixel of white between images.

    Example:
        >>> example_rows([np.zeros((5, 4, 4, 1)), np.ones((5, 4, 4, 3))], rows=2).shape
        (9, 9, 3)
    """
    columns = [np.asarray(images, np.float32)[:rows] for images in columns]
    count = min(len(images) for images in columns)
    columns = [images[:count] for images in columns]
    if rgb or len({images.shape[-1] for images in columns}) > 1:
        columns = [_rgb(images) for images in columns]
    # Interleaved so that tile() lays out example i as row i.
    return tile(np.stack(columns, axis=1).reshape(-1, *columns[0].shape[1:]), len(columns))


def _atomic_path(path: Path) -> tuple[int, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")


def write_atomically(path: str | os.PathLike, data: bytes) -> Path:
    """Writes bytes to `path` through a temporary file, so readers never see half a file."""
    path = Path(path)
    handle, temporary = _atomic_path(path)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        # mkstemp makes the file private; give it the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def to_uint8(image: np.ndarray) -> np.ndarray:
    """An image in [0, 1] as uint8 pixels, rounded (values outside are clipped).

    Example:
        >>> to_uint8(np.array([-0.1, 0.5, 1.2])).tolist()
        [0, 128, 255]
    """
    return np.clip(np.round(np.asarray(image) * 255.0), 0, 255).astype(np.uint8)


def save_png(path: str | os.PathLike, image: np.ndarray) -> Path:
    """Saves an (H, W, C) image in [0, 1] as PNG (C = 1 gives greyscale)."""
    import tensorflow as tf

    return write_atomically(path, tf.io.encode_png(to_uint8(image)).numpy())


def save_figure(path: str | os.PathLike, figure) -> Path:
    """Saves a matplotlib figure as PNG atomically and closes it."""
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return write_atomically(path, buffer.getvalue())


def save_history_plot(csv_path: str | os.PathLike, path: str | os.PathLike) -> Path:
    """Plots every metric of a Keras CSVLogger file against the epoch, one panel per metric."""
    import csv

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(csv_path, newline="") as file:
        rows = list(csv.DictReader(file))
    names = [name for name in rows[0] if name != "epoch" and not name.startswith("val_")]
    figure, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 2.8), squeeze=False)
    epochs = [int(row["epoch"]) + 1 for row in rows]
    for axis, name in zip(axes[0], names):
        axis.plot(epochs, [float(row[name]) for row in rows], label="train")
        # Keras' CSVLogger writes NA in val_ columns of runs without validation.
        if all(row.get(f"val_{name}", "NA") != "NA" for row in rows):
            axis.plot(epochs, [float(row[f"val_{name}"]) for row in rows], label="held out")
            axis.legend()
        axis.set_title(name)
        axis.set_xlabel("epoch")
    figure.tight_layout()
    return save_figure(path, figure)
