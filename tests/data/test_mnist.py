"""Tests of zoo.data.mnist: IDX reading, split parsing, both sources and the offline error."""

from __future__ import annotations

import gzip
import socket
import struct
import time
from pathlib import Path

import numpy as np
import pytest
import tensorflow_datasets as tfds

from zoo.data import DataError, DataUnavailableError, load_mnist, read_idx

_TYPE_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i2"): 0x0B,
               np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}


def _idx_bytes(array: np.ndarray) -> bytes:
    big_endian = array.astype(array.dtype.newbyteorder(">"))
    header = struct.pack(">HBB", 0, _TYPE_CODES[big_endian.dtype], array.ndim)
    return header + struct.pack(f">{array.ndim}I", *array.shape) + big_endian.tobytes()


def _write(path: Path, payload: bytes) -> Path:
    if path.suffix == ".gz":
        payload = gzip.compress(payload)
    path.write_bytes(payload)
    return path


def _mnist_like(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (count, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, count, dtype=np.uint8))


@pytest.fixture
def idx_folder(tmp_path: Path) -> tuple[Path, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """20 test examples as gzip files and 20 training examples as raw files."""
    arrays = {"test": _mnist_like(20, 0), "train": _mnist_like(20, 1)}
    for prefix, suffix, (images, labels) in (("t10k", ".gz", arrays["test"]),
                                            ("train", "", arrays["train"])):
        _write(tmp_path / f"{prefix}-images-idx3-ubyte{suffix}", _idx_bytes(images))
        _write(tmp_path / f"{prefix}-labels-idx1-ubyte{suffix}", _idx_bytes(labels))
    return tmp_path, arrays


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Routes downloads through a proxy port nobody listens on, so they fail at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("name", ["images.idx", "images.idx.gz"])
@pytest.mark.parametrize("array", [
    np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
    np.array([-70000, 0, 5], dtype=np.int32),
    np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2),
])
def test_read_idx_round_trip(tmp_path: Path, name: str, array: np.ndarray) -> None:
    result = read_idx(_write(tmp_path / name, _idx_bytes(array)))
    np.testing.assert_array_equal(result, array)
    assert result.dtype == array.dtype
    assert result.flags.writeable


@pytest.mark.parametrize("name", ["labels.idx", "labels.idx.gz"])
def test_read_idx_rejects_truncated_data(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path / name, _idx_bytes(np.zeros((10, 28, 28), np.uint8))[:-5])
    with pytest.raises(DataError, match="truncated data") as caught:
        read_idx(path)
    assert name in str(caught.value)


@pytest.mark.parametrize("payload, problem", [
    (b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00", "not an IDX file"),
    (b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00", "unsupported IDX type code 0x07"),
    (b"\x00\x00\x08\x02" + struct.pack(">I", 1), "truncated IDX header"),
    (b"\x00\x00", "too short"),
    (b"\x00\x00\x08\x01" + struct.pack(">I", 1) + b"\x00\x00", "1 unexpected bytes"),
])
def test_read_idx_rejects_bad_headers(tmp_path: Path, payload: bytes, problem: str) -> None:
    path = _write(tmp_path / "bad.idx", payload)
    with pytest.raises(DataError, match=problem) as caught:
        read_idx(path)
    assert str(path) in str(caught.value)


def test_read_idx_rejects_corrupt_gzip(tmp_path: Path) -> None:
    path = tmp_path / "cut.idx.gz"
    path.write_bytes(gzip.compress(_idx_bytes(np.zeros((50, 28, 28), np.uint8)))[:40])
    with pytest.raises(DataError, match="corrupt gzip"):
        read_idx(path)


@pytest.mark.parametrize("split, base, selection", [
    ("test", "test", slice(None)),
    ("train", "train", slice(None)),
    ("test[:8]", "test", slice(0, 8)),
    ("test[8:]", "test", slice(8, 20)),
    ("test[-5:]", "test", slice(15, 20)),
    ("test[2:-3]", "test", slice(2, 17)),
    ("train[:50%]", "train", slice(0, 10)),
    ("train[-25%:]", "train", slice(15, 20)),
    ("train[:]", "train", slice(None)),
])
def test_load_mnist_from_idx_files(idx_folder, split: str, base: str, selection: slice) -> None:
    folder, arrays = idx_folder
    images, labels = load_mnist(split, data_dir=folder)
    expected_images, expected_labels = arrays[base]
    assert images.dtype == np.uint8 and labels.dtype == np.int64
    assert images.shape[1:] == (28, 28, 1) and labels.shape == (len(images),)
    np.testing.assert_array_equal(images[..., 0], expected_images[selection])
    np.testing.assert_array_equal(labels, expected_labels[selection])


@pytest.mark.parametrize("split", ["validation", "train[1]", "train[:50%x]", "train+test",
                                   "train[10:50%]", "test[:101%]", " train", "TRAIN", "train[a:]"])
def test_load_mnist_rejects_unsupported_splits(idx_folder, split: str) -> None:
    with pytest.raises(DataError, match="Unsupported MNIST split") as caught:
        load_mnist(split, data_dir=idx_folder[0])
    assert repr(split) in str(caught.value)


def test_load_mnist_rejects_out_of_range_slices(idx_folder) -> None:
    with pytest.raises(DataError, match=r"'test\[:21\]'.*20 examples"):
        load_mnist("test[:21]", data_dir=idx_folder[0])


def test_load_mnist_rejects_empty_splits(idx_folder) -> None:
    with pytest.raises(DataError, match=r"split 'test\[5:5\]' holds no examples"):
        load_mnist("test[5:5]", data_dir=idx_folder[0])


def test_a_truncated_idx_file_names_the_split_the_file_and_the_fix(idx_folder) -> None:
    folder = idx_folder[0]
    path = folder / "t10k-images-idx3-ubyte.gz"
    data = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(data[:len(data) // 2]))
    with pytest.raises(DataError) as caught:
        load_mnist("test", data_dir=folder)
    message = str(caught.value)
    assert message.startswith("Could not read MNIST split 'test': ")
    assert str(path) in message and "truncated data" in message
    assert message.endswith("Replace the damaged file with a complete copy.")


def test_load_mnist_rejects_count_mismatch(tmp_path: Path) -> None:
    images, labels = _mnist_like(5, 0)
    _write(tmp_path / "t10k-images-idx3-ubyte.gz", _idx_bytes(images))
    _write(tmp_path / "t10k-labels-idx1-ubyte.gz", _idx_bytes(labels[:4]))
    with pytest.raises(DataError, match="5 images but .* 4 labels"):
        load_mnist("test", data_dir=tmp_path)


def test_load_mnist_through_tfds_mock(tmp_path: Path) -> None:
    with tfds.testing.mock_data(num_examples=6):
        for split in ("train", "test[:50%]"):
            images, labels = load_mnist(split, data_dir=tmp_path)
            # Mocked data ignores the slice: each split yields num_examples examples.
            assert images.shape == (6, 28, 28, 1) and images.dtype == np.uint8
            assert labels.shape == (6,) and labels.dtype == np.int64


def _assert_one_sentence(message: str) -> None:
    assert "\n" not in message
    assert message.endswith(".") and message.count(". ") == 0


@pytest.mark.usefixtures("no_network")
def test_load_mnist_without_data_or_network(tmp_path: Path) -> None:
    start = time.monotonic()
    with pytest.raises(DataUnavailableError) as caught:
        load_mnist("train", data_dir=tmp_path)
    assert time.monotonic() - start < 5
    message = str(caught.value)
    _assert_one_sentence(message)
    assert "--data-dir" in message and str(tmp_path) in message and "no network" in message
    assert "train-images-idx3-ubyte.gz" in message
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]


@pytest.mark.usefixtures("no_network")
def test_load_mnist_falls_back_when_the_split_has_no_idx_files(idx_folder) -> None:
    folder, _ = idx_folder
    for path in folder.glob("t10k-*"):
        path.unlink()
    with pytest.raises(DataUnavailableError, match="no MNIST IDX files for 'test'") as caught:
        load_mnist("test[:8]", data_dir=folder)
    assert "t10k-images-idx3-ubyte.gz" in str(caught.value)


def test_load_mnist_with_missing_data_dir(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(DataUnavailableError) as caught:
        load_mnist("test", data_dir=missing)
    message = str(caught.value)
    _assert_one_sentence(message)
    assert "--data-dir" in message and f"{missing} does not exist" in message
    assert not missing.exists()
