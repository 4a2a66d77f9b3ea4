"""Each network's optimizer, built once the run's length is known, with step-based schedules.

Schedules count optimizer steps (`optimizer.iterations`, checkpointed with the
optimizer), so a resumed run continues its schedule exactly where it stopped.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import keras
import tensorflow as tf

from zoo.precision import loss_scaled
from zoo.registry import Entry


@keras.saving.register_keras_serializable(package="zoo")
class ConstantThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Constant for `constant_steps`, then linearly to zero over `decay_steps`.

    The pix2pix and CycleGAN schedule (Isola et al. 2017, Zhu et al. 2017: 100
    epochs at 2e-4, then 100 epochs decaying linearly to zero), by step rather
    than by epoch.

    Example:
        >>> schedule = ConstantThenLinearDecay(1.0, constant_steps=10, decay_steps=4)
        >>> [round(float(schedule(step)), 2) for step in (0, 9, 10, 11, 13, 14, 20)]
        [1.0, 1.0, 1.0, 0.75, 0.25, 0.0, 0.0]
    """

    def __init__(self, initial_learning_rate: float, constant_steps: int, decay_steps: int
                 ) -> None:
        self.initial_learning_rate = float(initial_learning_rate)
        self.constant_steps = int(constant_steps)
        self.decay_steps = max(int(decay_steps), 1)

    def __call__(self, step: Any) -> tf.Tensor:
        step = tf.cast(step, tf.float32)
        remaining = (self.constant_steps + self.decay_steps - step) / self.decay_steps
        return self.initial_learning_rate * tf.clip_by_value(remaining, 0.0, 1.0)

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "constant_steps": self.constant_steps, "decay_steps": self.decay_steps}


def learning_rate(initial: float, schedule: str, steps_per_epoch: int, epochs: int) -> Any:
    """A learning rate or schedule: `constant`, or `linear_decay` over the run's second half."""
    if schedule == "constant":
        return initial
    decay_epochs = epochs // 2
    return ConstantThenLinearDecay(initial, (epochs - decay_epochs) * steps_per_epoch,
                                   decay_epochs * steps_per_epoch)


def make_optimizers(entry: Entry, names: Sequence[str], steps_per_epoch: int, epochs: int,
                    learning_rate_override: float | None = None, precision: str = "float32"
                    ) -> Mapping[str, keras.optimizers.Optimizer]:
    """One Adam per network as the entry declares it (call inside the strategy scope).

    Args:
        entry: the zoo entry, with its per-network settings and schedule.
        names: the family's optimizer names (keyword arguments of its `compile`).
        steps_per_epoch: training steps in an epoch.
        epochs: the run's epochs.
        learning_rate_override: one learning rate for every network (the recipe's
            `--learning-rate`), or None for each network's own.
        precision: the run's resolved precision; under `mixed_float16` each Adam
            is wrapped in a loss-scaling optimizer of its own (`zoo.precision`).

    Returns:
        `{name: optimizer}` for `model.compile(**optimizers)`.
    """
    missing = set(names) - set(entry.optimizers)
    if missing:
        raise ValueError(f"Entry {entry.name} declares no settings for {sorted(missing)}.")
    optimizers = {}
    for name in names:
        spec = entry.optimizers[name]
        initial = spec.learning_rate if learning_rate_override is None else learning_rate_override
        optimizers[name] = keras.optimizers.Adam(
            learning_rate(initial, entry.schedule, steps_per_epoch, epochs),
            beta_1=spec.beta_1, beta_2=spec.beta_2, name=name)
    return loss_scaled(optimizers, precision)
