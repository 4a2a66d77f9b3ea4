"""Data for the zoo: data set loaders and the shared `tf.data` input pipeline."""

from __future__ import annotations

from zoo.data.mnist import load_mnist, read_idx
from zoo.data.pipeline import evaluation_dataset, training_stream
from zoo.errors import DataError, DataUnavailableError

__all__ = ["DataError", "DataUnavailableError", "evaluation_dataset", "load_mnist", "read_idx",
           "training_stream"]
