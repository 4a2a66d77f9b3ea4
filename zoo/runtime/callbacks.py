"""Callbacks the runtime adds to every `fit()`: divergence guard, checkpoints, sample grid."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from zoo.checks import non_finite_variables
from zoo.errors import TrainingDivergedError
from zoo.images import save_png, to_uint8


class StopOnNonFinite(keras.callbacks.Callback):
    """Stops training when a reported loss or a weight is no longer finite.

    The reported metrics are checked after every step and every weight at the
    end of every epoch, before the checkpoint callback runs (this callback must
    come first), so no checkpoint and no export ever holds NaN or infinite
    values. Raises `TrainingDivergedError` naming the epoch and the step.

    Args:
        steps_per_epoch: steps in an epoch, for the message.
        advice: what the user can do, appended to the message.
    """

    def __init__(self, steps_per_epoch: int, advice: str) -> None:
        super().__init__()
        self.steps_per_epoch = steps_per_epoch
        self.advice = advice
        self.epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        for name, value in (logs or {}).items():
            if not math.isfinite(float(value)):
                raise TrainingDivergedError(
                    f"Training diverged in epoch {self.epoch + 1} at step {batch + 1} of "
                    f"{self.steps_per_epoch}: {name} became {float(value)}; nothing of epoch "
                    f"{self.epoch + 1} was saved. {self.advice}")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        bad = non_finite_variables(self.model.variables)
        if bad:
            raise TrainingDivergedError(
                f"Training diverged in epoch {epoch + 1}: {len(bad)} weight(s) hold NaN or "
                f"infinite values ({bad[0]}, ...); nothing of epoch {epoch + 1} was saved. "
                f"{self.advice}")


class EpochCheckpoint(keras.callbacks.Callback):
    """Saves the full training state (model, every optimizer, epoch) after each epoch.

    TensorFlow writes checkpoint files under temporary names and updates the
    `checkpoint` index atomically, so a process killed at any moment leaves the
    previous checkpoint intact.

    Args:
        manager: saves the checkpoint into its directory.
        epoch: the variable that records the epochs done, saved with the state.
        discard: delete the manager's directory right after each save: the
            workers of a multi-worker run other than the chief take part in
            every save (it is collective) but keep nothing.
    """

    def __init__(self, manager: tf.train.CheckpointManager, epoch: tf.Variable,
                 discard: bool = False) -> None:
        super().__init__()
        self.manager = manager
        self.epoch = epoch
        self.discard = discard

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.assign(epoch + 1)
        self.manager.save(checkpoint_number=epoch + 1)
        if self.discard:
            shutil.rmtree(self.manager.directory, ignore_errors=True)


class SampleGrid(keras.callbacks.Callback):
    """Writes `samples/epoch_NNNN.png`: the family's preview grid, from the same seed and the
    same held-out batch every epoch, so epochs compare; with `summary_dir`, also to
    TensorBoard's Images tab (tag `samples`, step = epoch), so `tensorboard --logdir <out>`
    shows how the samples evolve."""

    def __init__(self, folder: Path, preview: Callable[[keras.Model], np.ndarray],
                 summary_dir: Path | None = None) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.preview = preview
        self.summary_dir = summary_dir
        self.writer = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        grid = self.preview(self.model)
        save_png(self.folder / f"epoch_{epoch + 1:04d}.png", grid)
        if self.summary_dir is None:
            return
        if self.writer is None:
            self.writer = tf.summary.create_file_writer(str(self.summary_dir))
        with self.writer.as_default():
            tf.summary.image("samples", to_uint8(grid)[None], step=epoch + 1)
        self.writer.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
