"""Training throughput: images per second of `fit()`, and of a baseline step beside it.

The baseline is an entry's update written the way the Keras and TensorFlow
tutorials write it (a plain `@tf.function` step with `tf.GradientTape`), on the
same networks built in float32 (`float32_baseline`); `interleaved` times it and
the entry's `fit()` in alternate epochs, or the entry alone when there is no
baseline.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Sequence

import keras
import tensorflow as tf

from zoo.registry import Entry
from zoo.runtime.train import build_model

__all__ = ["EpochTimer", "Step", "StepBuilder", "float32_baseline", "images_per_second",
           "interleaved"]

Step = Callable[[Any], tf.Tensor]
"""One update on a preprocessed batch (as the family's `train_step` takes it); returns a loss."""
StepBuilder = Callable[[keras.Model, dict[str, keras.optimizers.Optimizer]], Callable]
"""(float32 model, its optimizers by name) -> the update as a plain function of the batch."""


class EpochTimer(keras.callbacks.Callback):
    """Records the seconds of each epoch of `fit()`."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.seconds.append(time.perf_counter() - self.start)


def images_per_second(model: keras.Model, dataset: tf.data.Dataset, steps: int, runs: int,
                      batch_size: int, callbacks: Sequence[keras.callbacks.Callback] = ()
                      ) -> list[float]:
    """Images/s of `model.fit` on `dataset` in each of `runs` epochs of `steps` steps, after
    one warm-up epoch (not counted); `callbacks` run in every step as in the recipe (the
    moving average of the weights)."""
    timer = EpochTimer()
    model.fit(dataset, epochs=runs + 1, steps_per_epoch=steps, callbacks=[*callbacks, timer],
              shuffle=False, verbose=0)
    return [steps * batch_size / seconds for seconds in timer.seconds[1:]]


def float32_baseline(entry: Entry, config: dict[str, Any], steps: int, epochs: int,
                     make_step: StepBuilder) -> Step:
    """The tutorial-style float32 training step of the entry's networks, as a `tf.function`.

    Args:
        entry: the zoo entry.
        config: its model config.
        steps: steps per epoch, for the learning-rate schedules.
        epochs: epochs, for the learning-rate schedules.
        make_step: the family's step written as a tutorial would, given the float32-built
            model (for its networks and settings) and its optimizers by name.

    Returns:
        `step(batch)`: one update on a preprocessed batch (as `train_step` takes it).

    Usage (needs a data set, or trains):
        step = float32_baseline(entry, config, 30, 12, vae_step)
    """
    keras.utils.set_random_seed(0)
    # The float32 model lends its networks and its optimizers (the entry's Adam settings).
    model = build_model(entry, config, steps, epochs, jit_compile=False, seed=0,
                        precision="float32")
    optimizers = {name: optimizer for name, (optimizer, _) in model.optimizer_targets().items()}
    function = tf.function(make_step(model, optimizers))
    return lambda batch: function(*batch) if isinstance(batch, tuple) else function(batch)


def _time_epoch(step: Step, batch: Any, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        result = step(batch)
    float(result)  # waits for the last step
    return time.perf_counter() - start


def interleaved(model: keras.Model, baseline: Step | None, batch: Any, steps: int, runs: int,
                batch_size: int, callbacks: Sequence[keras.callbacks.Callback] = ()
                ) -> tuple[list[float], list[float] | None]:
    """Images/s of `model.fit` and of the baseline step on one batch repeated.

    Their timed epochs alternate, so both see the same load on a shared machine;
    each has one warm-up epoch first.

    Args:
        model: the compiled model.
        baseline: `float32_baseline`'s step, or None to time the model alone.
        batch: one preprocessed batch.
        steps: steps per epoch.
        runs: timed epochs.
        batch_size: images per batch.
        callbacks: callbacks of the model's `fit`, as the recipe runs them (the moving
            average of the weights, which a baseline that keeps one updates in its step).

    Returns:
        `(model_rates, baseline_rates)`, one figure per timed epoch; `baseline_rates` is
        None without a baseline.
    """
    dataset = tf.data.Dataset.from_tensors(batch).repeat()
    timer = EpochTimer()
    zoo_rates, baseline_rates = [], []
    for run in range(runs + 1):
        model.fit(dataset, epochs=1, steps_per_epoch=steps, callbacks=[*callbacks, timer],
                  shuffle=False, verbose=0)
        seconds = None if baseline is None else _time_epoch(baseline, batch, steps)
        if run:
            zoo_rates.append(steps * batch_size / timer.seconds[-1])
            if seconds is not None:
                baseline_rates.append(steps * batch_size / seconds)
    return zoo_rates, None if baseline is None else baseline_rates
