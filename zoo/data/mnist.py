"""MNIST as numpy arrays, from a folder of IDX files or through tensorflow-datasets.

The IDX files are the format MNIST is distributed in; reading them lets a run
use a copy of the data on a machine where tensorflow-datasets cannot download.
Both sources take the same split strings (`train`, `test[:8000]`, `train[:80%]`)
and give the same arrays: images uint8 (N, 28, 28, 1) and labels int64 (N,).
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from zoo.data.network import first_line, probe
from zoo.data.splits import Split, parse_split
from zoo.errors import DataError, DataUnavailableError

__all__ = ["load_mnist", "read_idx"]

# IDX type codes and the numpy dtype of each; multi-byte values are big-endian.
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"

_IMAGE_SHAPE = (28, 28)
# The file names of the MNIST distribution, per base split.
_IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_BASE_SPLITS = ("train", "test")

_TFDS_NAME = "mnist"
# Where the tensorflow-datasets MNIST builder downloads from, if the builder does not say.
_FALLBACK_DOWNLOAD_URL = "https://storage.googleapis.com/"
# Reading in chunks keeps memory bounded by the data, not by a whole-split batch.
_READ_BATCH = 10_000


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Reads an IDX file, gzip-compressed or raw.

    Args:
        path: the file; gzip compression is recognised by its content, not its name.

    Returns:
        The array with the file's shape, in native byte order (uint8 for MNIST).

    Raises:
        DataError: the file is not a valid IDX file (bad magic, unknown type code,
            truncated or trailing data, corrupt compression).
    """
    path = Path(path)
    with open(path, "rb") as file:
        data = file.read()
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as error:
            raise DataError(f"{path}: corrupt gzip data ({error}).") from error

    if len(data) < 4:
        raise DataError(f"{path}: too short for an IDX header ({len(data)} bytes, need 4).")
    zeros, type_code, ndims = data[:2], data[2], data[3]
    if zeros != b"\x00\x00":
        raise DataError(f"{path}: not an IDX file (magic starts with {zeros.hex()}, expected "
                        "0000).")
    if type_code not in _IDX_DTYPES:
        known = ", ".join(f"0x{code:02X}" for code in _IDX_DTYPES)
        raise DataError(f"{path}: unsupported IDX type code 0x{type_code:02X} (supported: "
                        f"{known}).")
    if ndims == 0:
        raise DataError(f"{path}: IDX header declares 0 dimensions.")
    header_size = 4 + 4 * ndims
    if len(data) < header_size:
        raise DataError(f"{path}: truncated IDX header ({len(data)} bytes, the {ndims} "
                        f"dimension sizes need {header_size}).")
    shape = tuple(int(size) for size in np.frombuffer(data, ">u4", count=ndims, offset=4))
    dtype = _IDX_DTYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(data) - header_size
    if found < expected:
        raise DataError(f"{path}: truncated data ({found} bytes, shape {shape} of {dtype.name} "
                        f"needs {expected}).")
    if found > expected:
        raise DataError(f"{path}: {found - expected} unexpected bytes after the data of shape "
                        f"{shape}.")
    array = np.frombuffer(data, dtype, count=expected // dtype.itemsize, offset=header_size)
    # astype copies, which also makes the result writable (frombuffer's view of bytes is not).
    return array.reshape(shape).astype(dtype.newbyteorder("="))


def _find_idx_files(folder: Path, base: str) -> tuple[Path, Path] | None:
    found = []
    for stem in _IDX_FILES[base]:
        candidates = [folder / stem, folder / f"{stem}.gz"]
        path = next((path for path in candidates if path.is_file()), None)
        if path is None:
            return None
        found.append(path)
    return found[0], found[1]


def _load_idx(images_path: Path, labels_path: Path, split: Split) -> tuple[np.ndarray, np.ndarray]:
    try:
        images, labels = read_idx(images_path), read_idx(labels_path)
    except DataError as error:
        raise DataError(f"Could not read MNIST split {split.text!r}: {error} Replace the damaged "
                        "file with a complete copy.") from error
    if images.ndim != 3 or images.shape[1:] != _IMAGE_SHAPE or images.dtype != np.uint8:
        raise DataError(f"{images_path}: expected uint8 images of shape (N, 28, 28), found "
                        f"{images.dtype.name} of shape {images.shape}.")
    if labels.ndim != 1:
        raise DataError(f"{labels_path}: expected labels of shape (N,), found shape "
                        f"{labels.shape}.")
    if len(images) != len(labels):
        raise DataError(f"{images_path} holds {len(images)} images but {labels_path} holds "
                        f"{len(labels)} labels.")
    selection = split.indices(len(images))
    return images[selection][..., np.newaxis], labels[selection].astype(np.int64)


def _provide_hint(base: str) -> str:
    names = ", ".join(f"{stem}.gz" for stem in _IDX_FILES[base])
    return (f"put the MNIST IDX files ({names}) in a folder and pass --data-dir FOLDER, or "
            "prepare the data set on a machine with network access (`tfds build mnist "
            "--data_dir FOLDER`) and pass --data-dir FOLDER")


def _read_tfds(builder, split: Split) -> tuple[np.ndarray, np.ndarray]:
    import tensorflow_datasets as tfds

    if split.base in builder.info.splits:
        # Prepared data know their size: out-of-range bounds get the IDX reader's DataError.
        split.indices(builder.info.splits[split.base].num_examples)
    # Not `batch_size=-1`: that batches by the split sizes recorded when the data set was
    # prepared, and without such records (mocked data) it batches by sys.maxsize, which aborts.
    dataset = builder.as_dataset(split=split.spec, as_supervised=True)
    images, labels = [], []
    for image_batch, label_batch in tfds.as_numpy(dataset.batch(_READ_BATCH)):
        images.append(np.asarray(image_batch, np.uint8).reshape(-1, *_IMAGE_SHAPE, 1))
        labels.append(np.asarray(label_batch).astype(np.int64).reshape(-1))
    if not images:
        return np.zeros((0, *_IMAGE_SHAPE, 1), np.uint8), np.zeros((0,), np.int64)
    return np.concatenate(images), np.concatenate(labels)


def _load_tfds(split: Split, data_dir: Path | None, tried: str) -> tuple[np.ndarray, np.ndarray]:
    import tensorflow_datasets as tfds

    def unavailable(where: str, reason: str) -> DataUnavailableError:
        return DataUnavailableError(
            f"Could not load MNIST split {split.text!r}: {tried}tensorflow-datasets could not "
            f"prepare {_TFDS_NAME!r} in {where} ({reason}); {_provide_hint(split.base)}.")

    where = str(data_dir) if data_dir is not None else "its default folder"
    try:
        builder = tfds.builder(_TFDS_NAME, data_dir=None if data_dir is None else str(data_dir))
        where = str(builder.data_dir_root)
    except Exception as error:  # noqa: BLE001 - any failure here means no data from tfds
        raise unavailable(where, first_line(error)) from error

    # Reading comes before any check of `is_prepared()` so that whatever can be read is read
    # without touching the network, including builders whose reading is replaced
    # (tfds.testing.mock_data leaves them "unprepared").
    try:
        return _read_tfds(builder, split)
    except AssertionError:
        # tensorflow-datasets reports "no data in data_dir" with an AssertionError; on a
        # prepared builder the same class means a real failure, which must surface.
        if builder.is_prepared():
            raise

    # An offline download_and_prepare takes minutes to fail: its HTTP client retries each
    # file ten times with exponential backoff (about 205 s measured). One connection attempt
    # to the download host tells within seconds whether a download can work at all.
    reason = probe(getattr(builder, "URL", None) or _FALLBACK_DOWNLOAD_URL)
    if reason is not None:
        raise unavailable(where, reason)
    try:
        builder.download_and_prepare()
    except Exception as error:  # noqa: BLE001 - any failure here means no data from tfds
        raise unavailable(where, first_line(error)) from error
    return _read_tfds(builder, split)


def load_mnist(split: str = "train",
               data_dir: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Loads an MNIST split from IDX files in `data_dir`, or else through tensorflow-datasets.

    Args:
        split: a base split, `train` or `test`, optionally with one slice in
            tensorflow-datasets syntax: integer bounds (`test[:8000]`, `train[-1000:]`)
            or percent bounds (`train[:80%]`). Out-of-range integer bounds are an error,
            and percent bounds round to the closest example, as in tensorflow-datasets.
        data_dir: a folder holding the MNIST IDX files of the split
            (`train-images-idx3-ubyte[.gz]` and `train-labels-idx1-ubyte[.gz]`, or the
            `t10k-*` pair for `test`), or tensorflow-datasets' data_dir; None uses
            tensorflow-datasets' default folder.

    Returns:
        `(images, labels)`: uint8 images of shape (N, 28, 28, 1) and int64 labels of shape (N,).

    Raises:
        DataError: the split string is not supported or asks for examples the split does
            not have, the split is empty, or the IDX files are invalid.
        DataUnavailableError: neither source can provide the data.
    """
    parsed = parse_split(split, _BASE_SPLITS, "MNIST")
    images, labels = _load(parsed, data_dir)
    if not len(images):
        raise DataError(f"MNIST split {split!r} holds no examples; choose a split with some.")
    return images, labels


def _load(split: Split, data_dir: str | os.PathLike | None) -> tuple[np.ndarray, np.ndarray]:
    if data_dir is None:
        return _load_tfds(split, None, tried="")
    folder = Path(data_dir)
    if not folder.is_dir():
        raise DataUnavailableError(
            f"Could not load MNIST split {split.text!r}: the data folder {folder} "
            f"{'is a file, not a folder' if folder.exists() else 'does not exist'}; "
            f"{_provide_hint(split.base)}.")
    found = _find_idx_files(folder, split.base)
    if found is not None:
        return _load_idx(*found, split)
    tried = f"no MNIST IDX files for {split.base!r} in {folder}, and "
    return _load_tfds(split, folder, tried=tried)
