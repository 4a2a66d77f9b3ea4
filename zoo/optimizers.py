"""Each network's optimizer, built once the run's length is known; step-based learning-rate
schedules; and the moving average of a model's weights that an entry can keep.

Schedules count optimizer steps (`optimizer.iterations`, checkpointed with the
optimizer), so a resumed run continues its schedule exactly where it stopped; the
weight average is checkpointed with the run too (`WeightAverage`).
"""

from __future__ import annotations

import contextlib
import inspect
import math
from typing import Any, ClassVar, Iterator, Mapping, Sequence

import keras
import tensorflow as tf

from zoo.errors import ConfigurationError
from zoo.precision import loss_scaled
from zoo.registry import Entry, OptimizerSpec


class RunSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """A schedule an entry names (`Entry.schedule`): a learning rate by optimizer step, laid
    over a run by `for_run`.

    A new schedule is a subclass here, listed in `SCHEDULES`: the runtime asks it
    whether it depends on the run's length rather than knowing schedules by name.

    Attributes:
        name: what `Entry.schedule` calls it.
        depends_on_run_length: whether `for_run` reads the run's epochs. A run with such a
            schedule keeps its `--epochs`: resumed with another, its rates would not
            continue the schedule it started.
        description: what the learning rates do, as words that follow "the learning
            rates" (`decay linearly to zero over the second half of --epochs`).
    """

    name: ClassVar[str]
    depends_on_run_length: ClassVar[bool]
    description: ClassVar[str]

    @classmethod
    def for_run(cls, initial_learning_rate: float, steps_per_epoch: int, epochs: int,
                **options: Any) -> RunSchedule:
        """The schedule of a run of `epochs` epochs of `steps_per_epoch` steps; `options` are
        the entry's `schedule_options`, which each subclass takes as keyword-only arguments."""
        raise NotImplementedError


@keras.saving.register_keras_serializable(package="zoo")
class Constant(RunSchedule):
    """The same rate at every step.

    Example:
        >>> float(Constant(0.5)(1000))
        0.5
    """

    name = "constant"
    depends_on_run_length = False
    description = "stay at their initial values"

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = float(learning_rate)

    @classmethod
    def for_run(cls, initial_learning_rate: float, steps_per_epoch: int, epochs: int
                ) -> Constant:
        return cls(initial_learning_rate)

    def __call__(self, step: Any) -> tf.Tensor:
        return tf.constant(self.learning_rate, tf.float32)

    def get_config(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate}


@keras.saving.register_keras_serializable(package="zoo")
class ConstantThenLinearDecay(RunSchedule):
    """Constant for `constant_steps`, then linearly to zero over `decay_steps`.

    The pix2pix and CycleGAN schedule (Isola et al. 2017, Zhu et al. 2017: 100
    epochs at 2e-4, then 100 epochs decaying linearly to zero), by step rather
    than by epoch: `for_run` holds the rate for the first half of the epochs (the
    larger half for an odd count) and decays it over the rest.

    Example:
        >>> schedule = ConstantThenLinearDecay(1.0, constant_steps=10, decay_steps=4)
        >>> [round(float(schedule(step)), 2) for step in (0, 9, 10, 11, 13, 14, 20)]
        [1.0, 1.0, 1.0, 0.75, 0.25, 0.0, 0.0]
        >>> ConstantThenLinearDecay.for_run(1.0, steps_per_epoch=5, epochs=3).get_config()
        {'initial_learning_rate': 1.0, 'constant_steps': 10, 'decay_steps': 5}
    """

    name = "linear_decay"
    depends_on_run_length = True
    description = "decay linearly to zero over the second half of --epochs"

    def __init__(self, initial_learning_rate: float, constant_steps: int, decay_steps: int
                 ) -> None:
        self.initial_learning_rate = float(initial_learning_rate)
        self.constant_steps = int(constant_steps)
        self.decay_steps = max(int(decay_steps), 1)

    @classmethod
    def for_run(cls, initial_learning_rate: float, steps_per_epoch: int, epochs: int
                ) -> ConstantThenLinearDecay:
        decay_epochs = epochs // 2
        return cls(initial_learning_rate, (epochs - decay_epochs) * steps_per_epoch,
                   decay_epochs * steps_per_epoch)

    def __call__(self, step: Any) -> tf.Tensor:
        step = tf.cast(step, tf.float32)
        remaining = (self.constant_steps + self.decay_steps - step) / self.decay_steps
        return self.initial_learning_rate * tf.clip_by_value(remaining, 0.0, 1.0)

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "constant_steps": self.constant_steps, "decay_steps": self.decay_steps}


@keras.saving.register_keras_serializable(package="zoo")
class CosineDecay(RunSchedule):
    """Half a cosine from the initial rate down to `floor` times it over `decay_steps`, then
    that floor (Loshchilov & Hutter 2017 without restarts; Keras' `CosineDecay` with `alpha`
    = `floor`). `for_run` decays over the whole run, to the floor at its last step.

    Example:
        >>> schedule = CosineDecay(1.0, decay_steps=10, floor=0.1)
        >>> [round(float(schedule(step)), 3) for step in (0, 5, 10, 20)]
        [1.0, 0.55, 0.1, 0.1]
        >>> CosineDecay.for_run(1.0, steps_per_epoch=5, epochs=4, floor=0.01).get_config()
        {'initial_learning_rate': 1.0, 'decay_steps': 20, 'floor': 0.01}
    """

    name = "cosine_decay"
    depends_on_run_length = True
    description = "decay along half a cosine to their floor over --epochs"

    def __init__(self, initial_learning_rate: float, decay_steps: int, floor: float = 0.0
                 ) -> None:
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = max(int(decay_steps), 1)
        self.floor = float(floor)

    @classmethod
    def for_run(cls, initial_learning_rate: float, steps_per_epoch: int, epochs: int, *,
                floor: float = 0.0) -> CosineDecay:
        if not 0 <= floor <= 1:
            raise ConfigurationError(f"cosine_decay's floor is the last rate as a fraction of "
                                     f"the initial one, between 0 and 1; got {floor!r}.")
        return cls(initial_learning_rate, steps_per_epoch * epochs, floor)

    def __call__(self, step: Any) -> tf.Tensor:
        progress = tf.minimum(tf.cast(step, tf.float32) / self.decay_steps, 1.0)
        cosine = 0.5 * (1.0 + tf.cos(math.pi * progress))
        return self.initial_learning_rate * (self.floor + (1.0 - self.floor) * cosine)

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "floor": self.floor}


SCHEDULES: Mapping[str, type[RunSchedule]] = {
    schedule.name: schedule for schedule in (Constant, ConstantThenLinearDecay, CosineDecay)}
"""The schedules an entry can name, by name."""


@keras.saving.register_keras_serializable(package="zoo")
class LinearWarmup(keras.optimizers.schedules.LearningRateSchedule):
    """Another schedule's rates, ramped up linearly over its first `warmup_steps` steps: step
    s (from 0) takes min(1, (s + 1) / warmup_steps) of the schedule's rate, so the first
    update uses 1/N of it and the N-th all of it.

    Example:
        >>> warm = LinearWarmup(Constant(1.0), warmup_steps=4)
        >>> [round(float(warm(step)), 2) for step in (0, 1, 3, 4, 9)]
        [0.25, 0.5, 1.0, 1.0, 1.0]
        >>> warm_cosine = LinearWarmup(CosineDecay(1.0, decay_steps=10), warmup_steps=2)
        >>> [round(float(warm_cosine(step)), 3) for step in (0, 1, 5, 10)]
        [0.5, 0.976, 0.5, 0.0]
    """

    def __init__(self, schedule: keras.optimizers.schedules.LearningRateSchedule,
                 warmup_steps: int) -> None:
        self.schedule = schedule
        self.warmup_steps = max(int(warmup_steps), 1)

    def __call__(self, step: Any) -> tf.Tensor:
        ramp = tf.minimum((tf.cast(step, tf.float32) + 1.0) / self.warmup_steps, 1.0)
        return self.schedule(step) * ramp

    def get_config(self) -> dict[str, Any]:
        return {"schedule": keras.optimizers.schedules.serialize(self.schedule),
                "warmup_steps": self.warmup_steps}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LinearWarmup:
        return cls(keras.optimizers.schedules.deserialize(config["schedule"]),
                   config["warmup_steps"])


def schedule_class(entry: Entry) -> type[RunSchedule]:
    """The schedule `entry` names, or a ConfigurationError listing `SCHEDULES`."""
    if entry.schedule not in SCHEDULES:
        raise ConfigurationError(f"Entry {entry.name}: unknown schedule {entry.schedule!r}; "
                                 f"name one of {', '.join(SCHEDULES)}.")
    return SCHEDULES[entry.schedule]


def learning_rate(entry: Entry, initial: float, steps_per_epoch: int, epochs: int
                  ) -> float | keras.optimizers.schedules.LearningRateSchedule:
    """What an optimizer of `entry` gets as its learning rate: the entry's schedule from
    `initial` over the run, behind its warm-up.

    A constant rate without a warm-up goes to the optimizer as a plain number, which
    Keras keeps as a variable of the optimizer: the checkpointed state of every run at a
    constant rate, so that their checkpoints restore.

    Example:
        >>> from zoo.registry import get_entry
        >>> learning_rate(get_entry("vae_mnist"), 1e-3, steps_per_epoch=10, epochs=2)
        0.001
    """
    schedule = schedule_class(entry)
    options = [name for name, parameter in inspect.signature(schedule.for_run).parameters.items()
               if parameter.kind is inspect.Parameter.KEYWORD_ONLY]
    unknown = sorted(set(entry.schedule_options) - set(options))
    if unknown:
        raise ConfigurationError(f"Entry {entry.name}: schedule {entry.schedule} has no option "
                                 f"{', '.join(unknown)}; its options are: "
                                 f"{', '.join(options) or 'none'}.")
    rate = schedule.for_run(initial, steps_per_epoch, epochs, **entry.schedule_options)
    if entry.warmup_steps:
        return LinearWarmup(rate, entry.warmup_steps)
    return rate.learning_rate if isinstance(rate, Constant) else rate


def optimizer_classes() -> dict[str, type[keras.optimizers.Optimizer]]:
    """The `keras.optimizers` classes an `OptimizerSpec` can name, by name: each optimizer
    that takes a learning rate (not the base class, nor the wrappers of other optimizers)."""
    classes = {}
    for name in dir(keras.optimizers):
        found = getattr(keras.optimizers, name)
        if (isinstance(found, type) and issubclass(found, keras.optimizers.Optimizer)
                and found is not keras.optimizers.Optimizer
                and "learning_rate" in inspect.signature(found).parameters):
            classes[name] = found
    return classes


def optimizer_class(entry: Entry, network: str) -> type[keras.optimizers.Optimizer]:
    """The `keras.optimizers` class of `entry`'s optimizer `network`, once its arguments are
    checked against the class's; a ConfigurationError naming the class or argument if not."""
    spec: OptimizerSpec = entry.optimizers[network]
    classes = optimizer_classes()
    if spec.optimizer not in classes:
        raise ConfigurationError(
            f"Entry {entry.name}, {network}: {spec!r} names no optimizer of keras.optimizers; "
            f"name one of {', '.join(classes)}.")
    found = classes[spec.optimizer]
    accepted = [name for name, parameter in inspect.signature(found).parameters.items()
                if parameter.kind is not inspect.Parameter.VAR_KEYWORD
                and name not in ("learning_rate", "name")]
    unknown = sorted(set(spec.arguments) - set(accepted))
    if unknown:
        raise ConfigurationError(
            f"Entry {entry.name}, {network}: keras.optimizers.{spec.optimizer} takes no "
            f"argument {', '.join(unknown)} ({spec!r}); its arguments are: "
            f"{', '.join(accepted)}.")
    return found


def make_optimizers(entry: Entry, names: Sequence[str], steps_per_epoch: int, epochs: int,
                    learning_rate_override: float | None = None, precision: str = "float32"
                    ) -> Mapping[str, keras.optimizers.Optimizer]:
    """One optimizer per network as the entry declares it (call inside the strategy scope).

    Args:
        entry: the zoo entry, with its per-network `OptimizerSpec`s and its schedule.
        names: the family's optimizer names (keyword arguments of its `compile`).
        steps_per_epoch: training steps in an epoch.
        epochs: the run's epochs.
        learning_rate_override: one initial learning rate for every network (the
            recipe's `--learning-rate`), or None for each network's own.
        precision: the run's resolved precision; under `mixed_float16` each optimizer
            is wrapped in a loss-scaling optimizer of its own (`zoo.precision`).

    Returns:
        `{name: optimizer}` for `model.compile(**optimizers)`.

    Raises:
        zoo.errors.ConfigurationError: a network without settings, or settings Keras
            does not have (an unknown optimizer class, argument or schedule).
    """
    missing = set(names) - set(entry.optimizers)
    if missing:
        raise ConfigurationError(f"Entry {entry.name} declares no settings for "
                                 f"{sorted(missing)}.")
    optimizers = {}
    for name in names:
        spec = entry.optimizers[name]
        initial = spec.learning_rate if learning_rate_override is None else learning_rate_override
        optimizers[name] = optimizer_class(entry, name)(
            learning_rate=learning_rate(entry, initial, steps_per_epoch, epochs), name=name,
            **spec.arguments)
    return loss_scaled(optimizers, precision)


class WeightAverage(keras.callbacks.Callback):
    """An exponential moving average of a model's weights, kept as training state and exported.

    After every training step (`on_train_batch_end`; the runtime's `fit()` runs one
    step per call) each floating-point weight `w` of the model, trainable or not
    (batch-normalisation statistics too, as keras-io's DDIM averages its network),
    moves its average `a` to `decay * a + (1 - decay) * w`; the averages start from
    the weights as built. Integer weights (counters) are not averaged.

    The runtime builds one in the strategy scope when the entry or its family sets an
    `ema_decay`, passes it to `fit()` as a callback, checkpoints `averages` with the
    run (`zoo.runtime.train.training_state`), so a resumed run continues the average
    exactly, and exports the model inside `swapped_in()`, so the export (and the plots
    drawn from it) holds the averaged weights. The average is also the model that is
    evaluated: `fit()`'s held-out evaluation runs with it swapped in (`on_test_begin`
    to `on_test_end`), and the runtime draws the per-epoch previews inside
    `swapped_in()`; training steps always update the trained weights.

    Why not Keras' own `use_ema` optimizers: they average only the variables each
    optimizer trains, not the non-trainable statistics; and `fit()` overwrites the
    trained weights with the average when it ends (`finalize_variable_values`), but
    only for `model.optimizer`, which the adversarial families do not use, so what a
    model holds after `fit()` would differ by family, and training on from there
    would start from the average rather than from the trained weights. Both resume
    exactly (their averages are variables the checkpoint holds); this average leaves
    the trained weights alone and is swapped in only to evaluate and export.

    Args:
        model: the built model.
        decay: the weight of the old average at each step, between 0 and 1.

    Example:
        >>> dense = keras.layers.Dense(1, kernel_initializer="zeros")
        >>> model = keras.Sequential([keras.Input((1,)), dense])
        >>> average, kernel = WeightAverage(model, decay=0.75), dense.kernel
        >>> _ = kernel.assign([[4.0]])  # a training step moved the kernel from 0 to 4
        >>> average.on_train_batch_end(0)
        >>> with average.swapped_in():
        ...     print(kernel.numpy())
        [[1.]]
        >>> print(kernel.numpy())
        [[4.]]
    """

    def __init__(self, model: keras.Model, decay: float) -> None:
        super().__init__()
        self.decay = decay
        self.averaged = [weight for weight in model.weights
                         if tf.as_dtype(weight.dtype).is_floating]
        self.averages = [tf.Variable(weight.value, trainable=False, name="average")
                         for weight in self.averaged]

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._update()

    @tf.function
    def _update(self) -> None:
        for average, weight in zip(self.averages, self.averaged):
            average.assign(self.decay * average + (1.0 - self.decay) * weight.value)

    def on_test_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self._evaluating = self.swapped_in()
        self._evaluating.__enter__()

    def on_test_end(self, logs: Mapping[str, Any] | None = None) -> None:
        evaluating, self._evaluating = getattr(self, "_evaluating", None), None
        if evaluating is not None:
            evaluating.__exit__(None, None, None)

    @contextlib.contextmanager
    def swapped_in(self) -> Iterator[None]:
        """The averages in the model's weights inside the block; the trained weights after."""
        trained = [weight.numpy() for weight in self.averaged]
        try:
            for weight, average in zip(self.averaged, self.averages):
                weight.assign(average)
            yield
        finally:
            for weight, values in zip(self.averaged, trained):
                weight.assign(values)
