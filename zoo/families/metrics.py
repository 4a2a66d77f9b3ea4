"""The running means a family's `train_step` and `test_step` report, shared by every family,
and the steps of a one-optimizer model with per-example losses."""

from __future__ import annotations

from typing import Any, Iterable

import keras
import tensorflow as tf

from zoo.distributed import replica_mean


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


class PerExampleLossSteps(MeanTrackers):
    """Mixin of a `keras.Model` with one optimizer that trains every variable on the mean of
    a per-example `loss` (the VAE's negative ELBO, the autoencoder's reconstruction loss).

    The model defines `per_example_losses(images, training) -> {name: (batch,) tensor}`,
    `loss` among them, and tracks every name (`track`). `train_step` minimises each
    replica's share of the global batch's mean loss (`zoo.distributed.replica_mean`), so
    the update under any `tf.distribute` strategy is the single-device one; both steps
    report the running mean of every value.
    """

    def optimizer_targets(self) -> dict[str, tuple[keras.optimizers.Optimizer, list]]:
        """Each optimizer with the variables it trains (the runtime builds and checkpoints them)."""
        return {"optimizer": (self.optimizer, self.trainable_variables)}

    @staticmethod
    def _images(data: Any) -> tf.Tensor:
        return data[0] if isinstance(data, (tuple, list)) else data

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        images = self._images(data)
        with tf.GradientTape() as tape:
            losses = self.per_example_losses(images, training=True)
            loss = self.optimizer.scale_loss(replica_mean(losses["loss"]))
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        return self._report(losses)

    def test_step(self, data: Any) -> dict[str, tf.Tensor]:
        return self._report(self.per_example_losses(self._images(data)))
