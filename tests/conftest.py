"""Shared fixtures. TensorFlow's one CPU is split into two logical devices so that
MirroredStrategy runs with two replicas for real."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers import write_mnist_idx  # noqa: E402

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
    return write_mnist_idx(tmp_path / "mnist")
