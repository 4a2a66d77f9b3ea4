"""Data for the zoo: data set loaders (`load_examples`) and the shared `tf.data` input pipeline."""

from __future__ import annotations

from zoo.data.examples import Examples, UnpairedExamples
from zoo.data.mnist import load_mnist, read_idx
from zoo.data.pipeline import evaluation_dataset, training_stream
from zoo.data.sources import DATASETS, load_examples
from zoo.errors import DataError, DataUnavailableError

__all__ = ["DATASETS", "DataError", "DataUnavailableError", "Examples", "UnpairedExamples",
           "evaluation_dataset", "load_examples", "load_mnist", "read_idx", "training_stream"]
