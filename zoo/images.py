"""Image grids and PNG (or JPEG) files, written atomically; and their TensorFlow twins for serving
signatures (grids, PNG encoding and JPEG/PNG decoding as graph ops)."""

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


def tile_tensor(images, pad: int = 1):
    """`tile` as TensorFlow ops, for serving signatures: NHWC images in [0, 1] -> one grid.

    The same layout as `tile` with its default columns (the smallest square that
    fits, row by row, `pad` pixels of white between images); the batch size may be
    known only when the graph runs, the image size must be static.

    Example:
        >>> import tensorflow as tf
        >>> images = np.random.default_rng(0).uniform(size=(5, 3, 2, 1)).astype("float32")
        >>> np.array_equal(tile_tensor(tf.constant(images)).numpy(), tile(images))
        True
    """
    import tensorflow as tf

    images = tf.convert_to_tensor(images, tf.float32)
    height, width, channels = images.shape[1:]
    count = tf.shape(images)[0]
    columns = tf.cast(tf.math.ceil(tf.sqrt(tf.cast(count, tf.float64))), tf.int32)
    rows = (count + columns - 1) // columns
    blanks = tf.ones(tf.stack([rows * columns - count, height, width, channels]))
    cells = tf.pad(tf.concat([images, blanks], 0), [[0, 0], [0, pad], [0, pad], [0, 0]],
                   constant_values=1.0)
    grid = tf.transpose(tf.reshape(cells, tf.stack([rows, columns, height + pad, width + pad,
                                                    channels])), [0, 2, 1, 3, 4])
    grid = tf.reshape(grid, tf.stack([rows * (height + pad), columns * (width + pad), channels]))
    return grid[:tf.shape(grid)[0] - pad, :tf.shape(grid)[1] - pad]


def encode_png_tensor(images):
    """Images in [0, 1] as PNG bytes, quantised as `to_uint8` does; TensorFlow ops.

    Args:
        images: a float (H, W, C) image, or an (N, H, W, C) batch; C is 1 (grey) or 3.

    Returns:
        A scalar string tensor for one image, a vector of N for a batch.

    Example:
        >>> import tensorflow as tf
        >>> image = np.array([[[0.2], [0.7]]], np.float32)
        >>> png = encode_png_tensor(tf.constant(image)).numpy()
        >>> np.array_equal(tf.io.decode_png(png).numpy(), to_uint8(image))
        True
    """
    import tensorflow as tf

    images = tf.convert_to_tensor(images)
    pixels = tf.cast(tf.clip_by_value(tf.round(tf.cast(images, tf.float32) * 255.0), 0.0, 255.0),
                     tf.uint8)
    if pixels.shape.rank == 3:
        return tf.io.encode_png(pixels)
    return tf.map_fn(tf.io.encode_png, pixels, fn_output_signature=tf.string)


def decode_image_tensor(data, size: int, channels: int, what: str):
    """Encoded JPEG or PNG images -> float32 (N, size, size, channels) in [0, 1]; TensorFlow ops.

    Each image is decoded with `channels` channels (colour made grey or grey repeated
    as needed), scaled to [0, 1] as uint8 / 255 and resized to size x size
    (bilinear, antialiased when shrinking; the same size is left as it is).

    Args:
        data: a string vector, one encoded image per element.
        size: the height and width of the result.
        channels: 1 or 3.
        what: the start of the error message when an element is neither a JPEG nor a
            PNG (which input of which signature expects what).

    Returns:
        The images, a float32 tensor.

    Raises:
        tf.errors.InvalidArgumentError: when run, for an element that is neither a JPEG
            nor a PNG (the message starts with `what`), or one that does not decode.

    Example:
        >>> import tensorflow as tf
        >>> png = tf.io.encode_png(np.full((4, 6, 3), 255, np.uint8))
        >>> decode_image_tensor(tf.stack([png]), 2, 1, "images").numpy().reshape(-1).tolist()
        [1.0, 1.0, 1.0, 1.0]
    """
    import tensorflow as tf

    data = tf.convert_to_tensor(data, tf.string)
    header = tf.strings.substr(data, 0, 8)
    png = tf.equal(header, b"\x89PNG\r\n\x1a\n")
    jpeg = tf.equal(tf.strings.substr(header, 0, 3), b"\xff\xd8\xff")
    known = tf.logical_or(png, jpeg)
    first_unknown = tf.argmin(tf.cast(known, tf.int32), output_type=tf.int32)
    check = tf.debugging.Assert(
        tf.reduce_all(known),
        [f"{what}; got bytes that are neither a JPEG nor a PNG image, first at index",
         first_unknown], name="image_format")

    def decode(element: tf.Tensor) -> tf.Tensor:
        image = tf.io.decode_image(element, channels=channels, expand_animations=False)
        image = tf.cast(image, tf.float32) / 255.0
        resized = tf.image.resize(image, [size, size], antialias=True)
        return tf.clip_by_value(resized, 0.0, 1.0)

    with tf.control_dependencies([check]):
        data = tf.identity(data)
    return tf.map_fn(decode, data,
                     fn_output_signature=tf.TensorSpec([size, size, channels], tf.float32))


def save_png(path: str | os.PathLike, image: np.ndarray) -> Path:
    """Saves an (H, W, C) image in [0, 1] as PNG (C = 1 gives greyscale)."""
    import tensorflow as tf

    return write_atomically(path, tf.io.encode_png(to_uint8(image)).numpy())


IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
"""The formats `save_image` writes, by the file suffix (lower case) that names them."""
JPEG_QUALITY = 95
"""High enough that a sample grid's thin strokes and 1-pixel gutters stay clean."""


def save_image(path: str | os.PathLike, image: np.ndarray) -> Path:
    """Saves an (H, W, C) image in [0, 1] as PNG or JPEG, the format its suffix names.

    Raises:
        ValueError: the suffix is not one of `IMAGE_FORMATS` (nothing is written).

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     save_image(Path(folder) / "grid.jpg", np.zeros((8, 8, 1))).read_bytes()[:2]
        b'\\xff\\xd8'
    """
    import tensorflow as tf

    path = Path(path)
    kind = IMAGE_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"{path} names no format the zoo writes; use a suffix of "
                         f"{', '.join(IMAGE_FORMATS)}.")
    if kind == "PNG":
        return save_png(path, image)
    return write_atomically(path, tf.io.encode_jpeg(to_uint8(image), quality=JPEG_QUALITY)
                            .numpy())


def save_figure(path: str | os.PathLike, figure) -> Path:
    """Saves a matplotlib figure as PNG atomically and closes it."""
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return write_atomically(path, buffer.getvalue())


def save_history_plot(csv_path: str | os.PathLike, path: str | os.PathLike) -> Path:
    """Plots every metric of a run's `history.csv` (Keras' CSVLogger format, epochs counted
    from 1) against the epoch, one panel per metric."""
    import csv

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(csv_path, newline="") as file:
        rows = list(csv.DictReader(file))
    names = [name for name in rows[0] if name != "epoch" and not name.startswith("val_")]
    figure, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 2.8), squeeze=False)
    epochs = [int(row["epoch"]) for row in rows]  # counted from 1 (`EpochCSVLogger`)
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
