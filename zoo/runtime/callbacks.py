"""Callbacks the runtime adds to every `fit()`: checkpoints and the per-epoch sample grid."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from zoo.images import save_png, tile


class EpochCheckpoint(keras.callbacks.Callback):
    """Saves the full training state (model, every optimizer, epoch) after each epoch.

    TensorFlow writes checkpoint files under temporary names and updates the
    `checkpoint` index atomically, so a process killed at any moment leaves the
    previous checkpoint intact.
    """

    def __init__(self, manager: tf.train.CheckpointManager, epoch: tf.Variable) -> None:
        super().__init__()
        self.manager = manager
        self.epoch = epoch

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.assign(epoch + 1)
        self.manager.save(checkpoint_number=epoch + 1)


class SampleGrid(keras.callbacks.Callback):
    """Writes `samples/epoch_NNNN.png`, drawn from the same seed every epoch so epochs compare."""

    def __init__(self, folder: Path, preview: Callable[[keras.Model, int, int], np.ndarray],
                 seed: int, count: int = 64) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.preview = preview
        self.seed = seed
        self.count = count

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        images = self.preview(self.model, self.count, self.seed)
        save_png(self.folder / f"epoch_{epoch + 1:04d}.png", tile(images))
