"""Callbacks the runtime adds to every `fit()`: divergence guard, checkpoints, TensorBoard
scalars and the sample grid."""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path
from typing import Callable, Mapping

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

    Each epoch's wall time (its steps, its held-out evaluation and the callbacks before this
    one) is added to `seconds`, and `timed_epochs` counts the epochs timed, both saved with
    the state, so that a resumed run's total is the sum over all its sessions.

    Args:
        manager: saves the checkpoint into its directory.
        epoch: the variable that records the epochs done, saved with the state.
        discard: delete the manager's directory right after each save: the
            workers of a multi-worker run other than the chief take part in
            every save (it is collective) but keep nothing.
        seconds: float64 variable of the epochs' total wall time, saved with the state.
        timed_epochs: int64 variable of the number of epochs in `seconds`.
    """

    def __init__(self, manager: tf.train.CheckpointManager, epoch: tf.Variable,
                 discard: bool = False, seconds: tf.Variable | None = None,
                 timed_epochs: tf.Variable | None = None) -> None:
        super().__init__()
        self.manager = manager
        self.epoch = epoch
        self.discard = discard
        self.seconds = seconds
        self.timed_epochs = timed_epochs
        self.start: float | None = None

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.assign(epoch + 1)
        if self.seconds is not None and self.start is not None:
            self.seconds.assign_add(time.perf_counter() - self.start)
            self.timed_epochs.assign_add(1)
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


def learning_rate_tag(optimizer_name: str) -> str:
    """The TensorBoard tag of a network's learning rate: `learning_rate` for a model's one
    `optimizer`, `learning_rate_generator` for its `generator_optimizer`, and so on.

    Example:
        >>> learning_rate_tag("optimizer"), learning_rate_tag("discriminator_optimizer")
        ('learning_rate', 'learning_rate_discriminator')
    """
    network = optimizer_name.removesuffix("optimizer").rstrip("_")
    return "learning_rate" + (f"_{network}" if network else "")


def last_learning_rate(optimizer: keras.optimizers.Optimizer) -> float:
    """The learning rate the optimizer's last update used (its first, before any update).

    `optimizer.learning_rate` is the rate of the next update; a schedule is read one
    step back instead, so that the epoch that ends a linear decay shows the small
    rate it trained with rather than the zero that no update used.
    """
    inner = getattr(optimizer, "inner_optimizer", optimizer)  # a loss-scaling wrapper's own
    schedule = getattr(inner, "_learning_rate", None)
    if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        step = max(int(keras.ops.convert_to_numpy(inner.iterations)) - 1, 0)
        return float(keras.ops.convert_to_numpy(schedule(step)))
    return float(keras.ops.convert_to_numpy(inner.learning_rate))


class EpochCSVLogger(keras.callbacks.CSVLogger):
    """Keras' CSVLogger with epochs counted from 1, as the TensorBoard steps, the sample
    images and the checkpoints count them."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        super().on_epoch_end(epoch + 1, logs)


class EpochSummaries(keras.callbacks.Callback):
    """The run's TensorBoard scalars, at one step convention with the sample images
    (`SampleGrid`): step N is the end of epoch N (epochs count from 1).

    `<folder>/train` gets `epoch_<metric>` for each training metric and
    `epoch_learning_rate[_<network>]`: the learning rate of each network's last
    update in the epoch (its schedule at that step), so a decaying schedule shows
    as it runs. `<folder>/validation` gets `epoch_<metric>` of the
    held-out pass, and the same values as `evaluation_<metric>_vs_iterations` at the
    training steps done, for plotting against steps.

    Args:
        folder: the TensorBoard log folder.
        steps_per_epoch: training steps in an epoch.
    """

    def __init__(self, folder: Path, steps_per_epoch: int) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.steps_per_epoch = steps_per_epoch
        self.writers: dict[str, tf.summary.SummaryWriter] = {}

    def _write(self, split: str, scalars: Mapping[str, float], step: int) -> None:
        if split not in self.writers:
            self.writers[split] = tf.summary.create_file_writer(str(self.folder / split))
        with self.writers[split].as_default():
            for tag, value in scalars.items():
                tf.summary.scalar(tag, value, step=step)
        self.writers[split].flush()

    def learning_rates(self) -> dict[str, float]:
        """The learning rate of each network's last update, by its tag."""
        return {learning_rate_tag(name): last_learning_rate(optimizer)
                for name, (optimizer, _) in self.model.optimizer_targets().items()}

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        training = {f"epoch_{name}": value for name, value in logs.items()
                    if not name.startswith("val_")}
        training.update({f"epoch_{tag}": rate for tag, rate in self.learning_rates().items()})
        self._write("train", training, epoch + 1)
        held_out = {name[len("val_"):]: value for name, value in logs.items()
                    if name.startswith("val_")}
        if held_out:
            self._write("validation", {f"epoch_{name}": value
                                       for name, value in held_out.items()}, epoch + 1)
            self._write("validation", {f"evaluation_{name}_vs_iterations": value
                                       for name, value in held_out.items()},
                        (epoch + 1) * self.steps_per_epoch)

    def on_train_end(self, logs: dict | None = None) -> None:
        for writer in self.writers.values():
            writer.close()
        self.writers = {}
