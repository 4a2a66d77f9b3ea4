"""Training precision: float32, or mixed precision with bfloat16 or float16 compute.

Under a mixed policy every layer keeps float32 weights and computes in the
half type, except what the papers' numerics need in float32, which the
families build with `dtype=FLOAT32`: each network's last layer and its output
activation (so discriminator scores, generated images and the VAE's logits,
posterior mean and log-variance are float32), the VAE's sampling, and every
loss. Batch and group normalisation compute their statistics in float32 under
any policy. Exports therefore take and return float32 whatever the run trained
in.

`mixed_float16` also scales each network's loss (`LossScaleOptimizer`): the
step multiplies the loss by `optimizer.scale_loss` before taking gradients and
the optimizer divides them again, skipping the update and halving the scale
when a gradient overflows. bfloat16 has float32's exponent range and needs no
scaling.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator, Mapping

import keras
import tensorflow as tf

from zoo.errors import ConfigurationError

PRECISIONS = ("auto", "float32", "mixed_bfloat16", "mixed_float16")
FLOAT32 = "float32"
"""The dtype policy of the layers that stay float32 under a mixed policy."""
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")
"""/proc/cpuinfo flags of x86 CPUs with bfloat16 arithmetic instructions."""
CPUINFO = Path("/proc/cpuinfo")


def cpu_has_bf16(cpuinfo: Path = CPUINFO) -> bool:
    """Whether the CPU has bfloat16 instructions (`avx512_bf16` or `amx_bf16` in its flags).

    Args:
        cpuinfo: the kernel's CPU description; a missing or unreadable file means no.

    Example:
        >>> cpu_has_bf16(Path("/no/such/file"))
        False
    """
    try:
        text = cpuinfo.read_text()
    except OSError:
        return False
    flags = set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            flags.update(value.split())
    return any(flag in flags for flag in BF16_CPU_FLAGS)


def resolve_precision(choice: str = "auto", cpuinfo: Path = CPUINFO) -> str:
    """The precision a run trains in.

    Args:
        choice: one of `PRECISIONS`. `auto` picks `mixed_float16` when a GPU is
            visible, `mixed_bfloat16` on a CPU with bfloat16 instructions
            (`cpu_has_bf16`) and `float32` elsewhere; the others are returned as
            they are.
        cpuinfo: where to read the CPU's flags.

    Returns:
        `float32`, `mixed_bfloat16` or `mixed_float16`.

    Raises:
        zoo.errors.ConfigurationError: an unknown choice.

    Example:
        >>> resolve_precision("float32")
        'float32'
    """
    if choice not in PRECISIONS:
        raise ConfigurationError(f"Unknown precision {choice!r}; choose one of "
                                 f"{', '.join(PRECISIONS)}.")
    if choice != "auto":
        return choice
    if tf.config.list_physical_devices("GPU"):
        return "mixed_float16"
    return "mixed_bfloat16" if cpu_has_bf16(cpuinfo) else "float32"


@contextlib.contextmanager
def precision_policy(precision: str) -> Iterator[None]:
    """Builds the layers made inside the block under `precision`'s Keras dtype policy.

    The global policy is restored on leaving, so models built elsewhere in the
    process (tests, notebooks) keep theirs; a model built inside keeps its
    layers' policies.

    Args:
        precision: `float32`, `mixed_bfloat16` or `mixed_float16`.

    Example:
        >>> with precision_policy("mixed_bfloat16"):
        ...     layer = keras.layers.Dense(2)
        >>> layer.compute_dtype, layer.variable_dtype, keras.config.dtype_policy().name
        ('bfloat16', 'float32', 'float32')
    """
    resolved = resolve_precision(precision)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(resolved)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


@keras.saving.register_keras_serializable(package="zoo")
class LossScaleOptimizer(keras.optimizers.LossScaleOptimizer):
    """Keras' dynamic loss scaling, with every replica agreeing whether to skip a step.

    Keras decides from the first replica's gradients alone, before they are
    summed across replicas: an overflow on another replica would go into the
    update. Here each replica's verdict is all-reduced, so all replicas skip
    (and halve the scale) when any of them overflowed, as one device would on
    the global batch.

    Example:
        >>> optimizer = LossScaleOptimizer(keras.optimizers.Adam(1e-3))
        >>> float(optimizer.scale_loss(1.0))  # before the first step: the initial scale
        32768.0
    """

    def check_finite(self, grads: list) -> tf.Tensor:
        finite = super().check_finite(grads)
        context = tf.distribute.get_replica_context()
        if context is None or context.num_replicas_in_sync == 1:
            return finite
        overflowed = context.all_reduce(tf.distribute.ReduceOp.SUM,
                                        tf.cast(tf.logical_not(finite), tf.float32))
        return tf.equal(overflowed, 0.0)


def loss_scaled(optimizers: Mapping[str, keras.optimizers.Optimizer], precision: str
                ) -> dict[str, keras.optimizers.Optimizer]:
    """Each optimizer in a `LossScaleOptimizer` of its own under `mixed_float16`, else as is.

    Args:
        optimizers: `{name: optimizer}`, one per network.
        precision: the run's resolved precision.

    Returns:
        `{name: optimizer}` for `model.compile(**optimizers)`.

    Example:
        >>> wrapped = loss_scaled({"optimizer": keras.optimizers.Adam()}, "mixed_float16")
        >>> type(wrapped["optimizer"]).__name__
        'LossScaleOptimizer'
    """
    if precision != "mixed_float16":
        return dict(optimizers)
    return {name: LossScaleOptimizer(optimizer, name=f"{name}_loss_scale")
            for name, optimizer in optimizers.items()}
