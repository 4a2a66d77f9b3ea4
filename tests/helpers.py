"""Data the tests generate: MNIST-format IDX files and digit-like images."""

from __future__ import annotations

import gzip
import importlib.util
import struct
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def newest_shipped(entry: str) -> Path:
    """The newest version folder of `entry` shipped in this checkout's exported/."""
    versions = [path for path in (REPO / "exported" / entry).iterdir() if path.name.isdigit()]
    return max(versions, key=lambda path: int(path.name))


def benchmark_script(name: str):
    """A script of benchmarks/ imported as a module (registered in sys.modules, which
    dataclasses need to resolve annotations)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def write_idx(path: Path, array: np.ndarray) -> Path:
    """Writes a uint8 array as a gzip IDX file (the MNIST distribution format)."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as file:
        file.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())
    return path


def digit_like_images(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """28x28 uint8 images of four blocky prototypes with noise, and their labels."""
    rng = np.random.default_rng(seed)
    prototypes = np.zeros((4, 28, 28), np.uint8)
    prototypes[0, 4:24, 10:18] = 255
    prototypes[1, 10:18, 4:24] = 255
    prototypes[2, 4:12, 4:24] = 255
    prototypes[3, 16:24, 4:24] = 255
    labels = rng.integers(0, 4, count)
    noise = rng.integers(0, 40, (count, 28, 28))
    images = np.clip(prototypes[labels].astype(int) + noise - 20, 0, 255).astype(np.uint8)
    return images, labels.astype(np.uint8)


def write_mnist_idx(folder: Path, train: int = 64, test: int = 16) -> Path:
    """A folder of MNIST-format IDX files of `digit_like_images`: `train` training images
    (seed 0) and `test` test images (seed 1), with their labels."""
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, count, seed in (("train", train, 0), ("t10k", test, 1)):
        images, labels = digit_like_images(count, seed)
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return folder


def _write_jpeg(path: Path, pixels: np.ndarray) -> None:
    import tensorflow as tf

    path.write_bytes(tf.io.encode_jpeg(pixels).numpy())


def write_paired_folder(root: Path, splits=("train", "test"), count: int = 3) -> Path:
    """A pix2pix-layout folder (`<split>/<n>.jpg`, the two sides of a pair side by side) of
    random images of slightly different sizes."""
    rng = np.random.default_rng(0)
    for split in splits:
        (root / split).mkdir(parents=True)
        for index in range(count):
            _write_jpeg(root / split / f"{index}.jpg",
                        rng.integers(0, 256, (24 + index, 48 + 2 * index, 3), np.uint8))
    return root


def write_unpaired_folder(root: Path, count: int = 3) -> Path:
    """A CycleGAN-layout folder (trainA/, trainB/, testA/, testB/) of random JPEGs of
    different sizes, with one greyscale file in trainB/ as horse2zebra has."""
    rng = np.random.default_rng(0)
    for folder in ("trainA", "trainB", "testA", "testB"):
        (root / folder).mkdir(parents=True)
        for index in range(count):
            _write_jpeg(root / folder / f"{index}.jpg",
                        rng.integers(0, 256, (40 + index, 36, 3), np.uint8))
    _write_jpeg(root / "trainB" / "grey.jpg", rng.integers(0, 256, (36, 36, 1), np.uint8))
    return root


def go_offline(monkeypatch, tmp_path: Path) -> None:
    """Makes downloads fail at once, as on a machine with no network: every proxy points at a
    closed local port, and Keras' and tensorflow-datasets' caches are empty folders."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    for variable in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(variable, "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
