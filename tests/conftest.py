"""Shared fixtures. TensorFlow's one CPU is split into two logical devices so that
MirroredStrategy runs with two replicas for real."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers import digit_like_images, write_idx  # noqa: E402

_cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    _cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])

@pytest.fixture(scope="session")
def mirrored() -> tf.distribute.MirroredStrategy:
    """One two-replica strategy for the whole session: collective ops keep per-process
    state, and separate strategies in one process can collide in it."""
    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])


@pytest.fixture
def mnist_idx_dir(tmp_path: Path) -> Path:
    """A folder of small MNIST-format IDX files (64 training, 16 test images)."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    for prefix, count, seed in (("train", 64, 0), ("t10k", 16, 1)):
        images, labels = digit_like_images(count, seed)
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return folder
