"""MNIST as numpy arrays, from a folder of IDX files or through tensorflow-datasets.

The IDX files are the format MNIST is distributed in; reading them lets a run
use a copy of the data on a machine where tensorflow-datasets cannot download.
Both sources take the same split strings (`train`, `test[:8000]`, `train[:80%]`)
and give the same arrays: images uint8 (N, 28, 28, 1) and labels int64 (N,).
"""

from __future__ import annotations

import dataclasses
import gzip
import os
import re
import socket
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np

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
_SPLIT_PATTERN = re.compile(r"(?P<base>train|test)(?:\[(?P<start>-?\d+%?)?:(?P<stop>-?\d+%?)?\])?")
_SPLIT_FORMS = ("'train' or 'test', optionally followed by one slice with integer or percent "
                "bounds, e.g. 'train[:50000]', 'test[-1000:]', 'train[10:20]' or 'train[:80%]'")

_TFDS_NAME = "mnist"
# Where the tensorflow-datasets MNIST builder downloads from, if the builder does not say.
_FALLBACK_DOWNLOAD_URL = "https://storage.googleapis.com/"
_PROBE_TIMEOUT_S = 5.0
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


@dataclasses.dataclass(frozen=True)
class _Split:
    """A parsed split string: a base split and an optional slice."""

    text: str
    base: str
    start: int | None
    stop: int | None
    percent: bool

    @property
    def spec(self) -> str:
        """The split in tensorflow-datasets syntax."""
        if self.start is None and self.stop is None:
            return self.base
        unit = "%" if self.percent else ""
        start = "" if self.start is None else f"{self.start}{unit}"
        stop = "" if self.stop is None else f"{self.stop}{unit}"
        return f"{self.base}[{start}:{stop}]"

    def indices(self, count: int) -> slice:
        """The slice of a base split of `count` examples, with tensorflow-datasets' rules."""
        bounds = []
        for bound in (self.start, self.stop):
            if bound is None:
                bounds.append(None)
                continue
            if self.percent:
                # Rounds to the closest example, like tensorflow-datasets' default.
                bound = int(round(bound * count / 100.0))
            elif abs(bound) > count:
                # tensorflow-datasets rejects out-of-range bounds instead of clipping them;
                # doing the same keeps one split string meaning the same for both sources.
                raise DataError(f"Split {self.text!r} asks for example {bound}, but split "
                                 f"{self.base!r} has {count} examples.")
            bounds.append(bound)
        return slice(*bounds)


def _parse_split(split: str) -> _Split:
    match = _SPLIT_PATTERN.fullmatch(split) if isinstance(split, str) else None
    if match is None:
        raise DataError(f"Unsupported MNIST split {split!r}; expected {_SPLIT_FORMS}.")
    start, stop = match["start"], match["stop"]
    given = [bound for bound in (start, stop) if bound is not None]
    percent = any(bound.endswith("%") for bound in given)
    if percent and not all(bound.endswith("%") for bound in given):
        raise DataError(f"Unsupported MNIST split {split!r}: both bounds of a slice must be "
                         f"percents or both integers; expected {_SPLIT_FORMS}.")
    start, stop = (None if bound is None else int(bound.rstrip("%")) for bound in (start, stop))
    if percent and any(abs(bound) > 100 for bound in (start, stop) if bound is not None):
        raise DataError(f"Unsupported MNIST split {split!r}: percent bounds must lie in "
                         f"[-100%, 100%]; expected {_SPLIT_FORMS}.")
    return _Split(split, match["base"], start, stop, percent)


def _find_idx_files(folder: Path, base: str) -> tuple[Path, Path] | None:
    found = []
    for stem in _IDX_FILES[base]:
        candidates = [folder / stem, folder / f"{stem}.gz"]
        path = next((path for path in candidates if path.is_file()), None)
        if path is None:
            return None
        found.append(path)
    return found[0], found[1]


def _load_idx(images_path: Path, labels_path: Path, split: _Split) -> tuple[np.ndarray, np.ndarray]:
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


def _download_endpoint(builder) -> tuple[str, int, str]:
    """The host, port and role ("proxy" or "host") a download of `builder` connects to first."""
    url = urllib.parse.urlsplit(getattr(builder, "URL", None) or _FALLBACK_DOWNLOAD_URL)
    proxy = urllib.request.getproxies().get(url.scheme)
    if proxy and not urllib.request.proxy_bypass(url.hostname or ""):
        proxy_url = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        return proxy_url.hostname or "", proxy_url.port or 80, "proxy"
    return url.hostname or "", url.port or (443 if url.scheme == "https" else 80), "host"


def _unreachable(host: str, port: int) -> OSError | None:
    """Why `host:port` cannot be connected to within the probe timeout, or None if it can."""
    outcome: list[OSError | None] = []

    def connect() -> None:
        try:
            socket.create_connection((host, port), timeout=_PROBE_TIMEOUT_S).close()
        except OSError as error:
            outcome.append(error)
        else:
            outcome.append(None)

    # Name resolution ignores socket timeouts, so the attempt runs in a thread we can stop
    # waiting for; a daemon thread does not keep the process alive if resolution hangs.
    attempt = threading.Thread(target=connect, daemon=True)
    attempt.start()
    attempt.join(_PROBE_TIMEOUT_S)
    if not outcome:
        return TimeoutError(f"no answer within {_PROBE_TIMEOUT_S:g} s")
    return outcome[0]


def _first_line(error: BaseException) -> str:
    # The detail goes inside a one-sentence message, so only its first sentence is kept.
    lines = str(error).strip().splitlines()
    detail = lines[0].split(". ")[0] if lines else ""
    if len(detail) > 160:
        detail = detail[:157] + "..."
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


def _read_tfds(builder, split: _Split) -> tuple[np.ndarray, np.ndarray]:
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


def _load_tfds(split: _Split, data_dir: Path | None, tried: str) -> tuple[np.ndarray, np.ndarray]:
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
        raise unavailable(where, _first_line(error)) from error

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
    host, port, role = _download_endpoint(builder)
    reason = _unreachable(host, port)
    if reason is not None:
        raise unavailable(where, f"no network: cannot reach {role} {host}:{port}, "
                                 f"{_first_line(reason)}") from reason
    try:
        builder.download_and_prepare()
    except Exception as error:  # noqa: BLE001 - any failure here means no data from tfds
        raise unavailable(where, _first_line(error)) from error
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
    parsed = _parse_split(split)
    images, labels = _load(parsed, data_dir)
    if not len(images):
        raise DataError(f"MNIST split {split!r} holds no examples; choose a split with some.")
    return images, labels


def _load(split: _Split, data_dir: str | os.PathLike | None) -> tuple[np.ndarray, np.ndarray]:
    if data_dir is None:
        return _load_tfds(split, None, tried="")
    folder = Path(data_dir)
    if not folder.is_dir():
        raise DataUnavailableError(
            f"Could not load MNIST split {split.text!r}: the data folder {folder} does not "
            f"exist; {_provide_hint(split.base)}.")
    found = _find_idx_files(folder, split.base)
    if found is not None:
        return _load_idx(*found, split)
    tried = f"no MNIST IDX files for {split.base!r} in {folder}, and "
    return _load_tfds(split, folder, tried=tried)
