"""Images in and out of the zoo, each with its TensorFlow twin for the serving signatures.

In: the one image reader, `read_image` (a JPEG or PNG file -> a float image in
[0, 1], channels fixed, resized), and its in-graph twin `decode_image_tensor`
(encoded images -> the same pixels, as graph ops). Both decode with
`decode_image` and resize with `resize_image`, so a file gives the same pixels
to `zoo translate`, the serving client, the data pipelines and a `*_bytes`
signature.

Out: image grids, and PNG (or JPEG) files written atomically; `tile_tensor` and
`encode_png_tensor` are their graph twins.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import numpy as np

from zoo.errors import DataError

CHANNELS = (1, 3)
"""The channel counts images are read with: grey, or RGB."""


def decode_image(data, channels: int):
    """One encoded JPEG or PNG image -> float32 (height, width, channels) in [0, 1]; TensorFlow ops.

    The zoo's one decoding, of files and of `*_bytes` inputs alike. Pixels are
    read as 8 bits (a 16-bit PNG is rounded to 8) and scaled as uint8 / 255.
    Channels are converted as the decoders do: colour made grey with channels=1
    (a JPEG's luma Y; for a PNG about 0.299 R + 0.587 G + 0.114 B), grey repeated
    with channels=3, and an alpha channel dropped. BMP files and a GIF's first
    frame are read too.

    Args:
        data: a scalar string tensor (or bytes), one encoded image.
        channels: 1 (grey) or 3 (RGB).

    Raises:
        ValueError: `channels` is neither 1 nor 3.
        tf.errors.InvalidArgumentError: the data is not an image the decoders read.

    Example:
        >>> import tensorflow as tf
        >>> grey = tf.io.encode_png(np.array([[[0], [255]]], np.uint8))
        >>> decode_image(grey, 3).numpy().tolist()
        [[[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]]
    """
    import tensorflow as tf

    if channels not in CHANNELS:
        raise ValueError(f"images are read with 1 (grey) or 3 (RGB) channels; got {channels}")
    image = tf.io.decode_image(data, channels=channels, expand_animations=False)
    return tf.cast(image, tf.float32) / 255.0


def resize_image(image, height: int, width: int):
    """An image (or NHWC batch) in [0, 1] resized to height x width, bilinear and antialiased
    (which matters when shrinking), clipped to [0, 1]; TensorFlow ops. An image already that
    size comes back with its own pixels.

    Example:
        >>> import tensorflow as tf
        >>> resize_image(tf.ones((4, 6, 1)), 2, 3).shape
        TensorShape([2, 3, 1])
    """
    import tensorflow as tf

    return tf.clip_by_value(tf.image.resize(image, [height, width], antialias=True), 0.0, 1.0)


class ImageFileError(DataError):
    """A file that does not read as an image: the message names it and the fix; `path` is
    the file and `reason` says what is wrong in a few words (`zoo.command.common` lists
    several files by them)."""

    def __init__(self, message: str, path: str | os.PathLike, reason: str):
        super().__init__(message)
        self.path = path
        self.reason = reason


_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
"""The start-of-frame markers, whose header gives the image's colour components (0xC4, 0xC8
and 0xCC in that range are the Huffman table, a reserved marker and the arithmetic coding
conditions)."""


def jpeg_components(data: bytes) -> int | None:
    """The number of colour components a JPEG's frame header declares: 1 (grey), 3 (YCbCr or
    RGB), 4 (CMYK or YCCK, as Photoshop and print workflows write); None when `data` is not
    a JPEG or its header is not found before the image data. Reads the marker segments
    alone, in Python, without decoding.

    Example:
        >>> jpeg_components(b"\\xff\\xd8\\xff\\xc0\\x00\\x0b\\x08\\x00\\x02\\x00\\x02\\x04")
        4
        >>> jpeg_components(b"\\x89PNG\\r\\n\\x1a\\n") is None
        True
    """
    if data[:3] != b"\xff\xd8\xff":
        return None
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None  # not at a marker: a damaged file, which the decoder reports
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD9)):  # markers without a segment
            position += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of the scan: no frame header before
            return None
        length = int.from_bytes(data[position + 2:position + 4], "big")
        if marker in _SOF_MARKERS:
            # Segment: length (2), precision (1), height (2), width (2), components (1).
            return data[position + 9] if position + 9 < len(data) and length >= 8 else None
        position += 2 + length
    return None


def read_image_bytes(path: str | os.PathLike) -> bytes:
    """An image file's bytes, undecoded (what a `*_bytes` signature takes).

    Raises:
        zoo.errors.DataError: the file does not exist or cannot be read; the message
            names it.
    """
    try:
        return Path(path).expanduser().read_bytes()
    except FileNotFoundError:
        raise ImageFileError(f"{path} does not exist; pass a JPEG or PNG file.", path,
                             "does not exist") from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise ImageFileError(f"cannot read {path}: {reason}; pass a JPEG or PNG file you can "
                             "read.", path, f"cannot be read: {reason}") from None


def read_image(path: str | os.PathLike, channels: int,
               size: tuple[int, int] | None = None) -> np.ndarray:
    """An image file as float32 (height, width, channels) in [0, 1]: the zoo's image reader.

    The pixels are those a `*_bytes` signature computes from the file's bytes
    (`decode_image_tensor`): decoded by `decode_image`, resized by `resize_image`.

    Args:
        path: a JPEG or PNG file (8 or 16 bits; grey, grey and alpha, RGB or RGBA).
        channels: 1 for grey (colour is converted), 3 for RGB (grey is repeated);
            alpha is dropped.
        size: the (height, width) to resize to; None keeps the file's size.

    Raises:
        ImageFileError: (a zoo.errors.DataError) the file does not exist, cannot be
            read, is not a JPEG or PNG image, or is a CMYK JPEG (4 colour components,
            refused from its header, before decoding: TensorFlow's decoder cannot
            convert it); the message names the file and the fix.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = save_png(Path(folder) / "grey.png", np.full((4, 6, 1), 0.5))
        ...     read_image(path, 3, size=(2, 3)).shape
        (2, 3, 3)
    """
    import tensorflow as tf

    data = read_image_bytes(path)
    if jpeg_components(data) == 4:
        # libjpeg would print "Unsupported color conversion request" and fail.
        raise ImageFileError(f"{path} is a CMYK JPEG (4 colour components), which the zoo does "
                             "not read; convert it to RGB (e.g. with Pillow, which matplotlib "
                             "installs: PIL.Image.open(FILE).convert('RGB').save(NEW)) and pass "
                             "that.", path, "a CMYK JPEG: convert it to RGB")
    try:
        image = decode_image(data, channels)
    except tf.errors.InvalidArgumentError:
        raise ImageFileError(f"{path} is not a readable JPEG or PNG image; pass a JPEG or PNG "
                             "file.", path, "not a readable JPEG or PNG image") from None
    if size is not None:
        image = resize_image(image, *size)
    return image.numpy()


def decode_image_tensor(data, size: int, channels: int, what: str):
    """Encoded JPEG or PNG images -> float32 (N, size, size, channels) in [0, 1]; TensorFlow ops.

    The in-graph twin of `read_image`, for the `*_bytes` signatures: each image is
    decoded by `decode_image` (so with `channels` channels, converted as it says)
    and resized to size x size by `resize_image`, giving the pixels `read_image`
    gives for the same file.

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
    with tf.control_dependencies([check]):
        data = tf.identity(data)
    return tf.map_fn(lambda element: resize_image(decode_image(element, channels), size, size),
                     data, fn_output_signature=tf.TensorSpec([size, size, channels], tf.float32))


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
    from 1) against the epoch, one panel per metric, a marker at each epoch."""
    import csv

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(csv_path, newline="") as file:
        rows = list(csv.DictReader(file))
    names = [name for name in rows[0] if name != "epoch" and not name.startswith("val_")]
    figure, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 2.8), squeeze=False)
    epochs = [int(row["epoch"]) for row in rows]  # counted from 1 (`EpochCSVLogger`)
    # Markers, so that every epoch shows, the only one of a one-epoch run too (a line through
    # a single point draws nothing); small ones for a long run.
    style = {"marker": "o", "markersize": 4 if len(epochs) <= 30 else 1.5}
    for axis, name in zip(axes[0], names):
        axis.plot(epochs, [float(row[name]) for row in rows], label="train", **style)
        # Keras' CSVLogger writes NA in val_ columns of runs without validation.
        if all(row.get(f"val_{name}", "NA") != "NA" for row in rows):
            axis.plot(epochs, [float(row[f"val_{name}"]) for row in rows], label="held out",
                      **style)
            axis.legend()
        axis.set_title(name)
        axis.set_xlabel("epoch")
    figure.tight_layout()
    return save_figure(path, figure)
