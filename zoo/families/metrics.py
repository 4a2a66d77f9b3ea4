"""The running means a family's `train_step` and `test_step` report, shared by every family."""

from __future__ import annotations

from typing import Iterable

import keras
import tensorflow as tf


class MeanTrackers:
    """Mixin of a `keras.Model` that reports the mean of named per-example values.

    `track(names)` (in `__init__`) makes one `keras.metrics.Mean` per name; they are the
    model's `metrics`, so Keras resets them at each epoch's start and before evaluation.
    """

    def track(self, names: Iterable[str]) -> None:
        """Makes one Mean tracker per name, kept as `self.trackers`."""
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    def _report(self, values: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """Adds a step's per-example values to their trackers; returns every tracker's mean."""
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}
