"""Choosing the `tf.distribute` strategy a run trains under, and how a run spans several workers.

A multi-worker run (MultiWorkerMirroredStrategy, TF_CONFIG) is the same program
on every worker, each with the same flags:

- Data: every worker builds the same stream of global batches and keeps its
  replicas' shares of each one (`shard_by_data`), so the replicas of all
  workers together train on exactly the global batch a single process would.
- Files: only the chief (`is_chief`) writes the run's files. The other
  workers must still take part in each checkpoint save (saving reads
  distributed variables collectively); they save into a scratch folder of
  their own (`scratch_checkpoint_dir`), deleted after every save.
- Resuming: every worker restores the chief's latest checkpoint from `--out`,
  which must therefore be on storage every worker sees, and
  `check_same_start` refuses to train when they did not all find it.
- Failures: a worker that dies stops the others at their next collective op
  (`stop_on_lost_workers` turns that into one sentence); restarting every
  worker with the same command resumes the run from its last checkpoint.

The numerics that keep a step right under any strategy live in `zoo.distributed`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

import keras
import tensorflow as tf

from zoo.errors import ConfigurationError, RunError

STRATEGIES = ("auto", "default", "mirrored", "multi-worker")


def _tf_config_workers() -> int:
    """Number of worker tasks TF_CONFIG names (chief included), 0 without TF_CONFIG."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return 0
    try:
        cluster = json.loads(raw).get("cluster", {})
    except json.JSONDecodeError as error:
        raise ConfigurationError(f"TF_CONFIG is not valid JSON ({error}); unset it or fix "
                                 "it.") from error
    return len(cluster.get("worker", [])) + len(cluster.get("chief", []))


def resolve_strategy(name: str = "auto") -> tf.distribute.Strategy:
    """Returns the strategy a run trains under.

    Args:
        name: `auto` picks MultiWorkerMirroredStrategy when TF_CONFIG names
            several workers, MirroredStrategy when more than one GPU is visible
            and the default (single-device) strategy otherwise; `default`,
            `mirrored` and `multi-worker` force one. `mirrored` mirrors over all
            visible GPUs, or over the logical CPU devices when there is no GPU.

    Returns:
        The strategy. MultiWorkerMirroredStrategy must be created before any
        other TensorFlow op runs, so call this first.

    Example:
        >>> strategy = resolve_strategy("default")
        >>> strategy.num_replicas_in_sync
        1
    """
    if name not in STRATEGIES:
        raise ConfigurationError(f"Unknown strategy {name!r}; choose one of "
                                 f"{', '.join(STRATEGIES)}.")
    if name == "auto":
        if _tf_config_workers() > 1:
            name = "multi-worker"
        elif len(tf.config.list_physical_devices("GPU")) > 1:
            name = "mirrored"
        else:
            name = "default"
    if name == "multi-worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([device.name for device in devices])
    return tf.distribute.get_strategy()


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process writes the run's files (checkpoints, logs, export)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief


def worker_count(strategy: tf.distribute.Strategy) -> int:
    """Number of worker processes the strategy spans (1 unless a multi-worker cluster).

    Example:
        >>> worker_count(tf.distribute.get_strategy())
        1
    """
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return 1
    cluster = resolver.cluster_spec().as_dict()
    return max(1, len(cluster.get("worker", [])) + len(cluster.get("chief", [])))


def shard_by_data(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """`dataset` set to be split across workers by its elements, never by its files.

    Every worker then runs the whole input pipeline and keeps its replicas'
    shares of each global batch, so the union of all replicas' batches is the
    global batch a single process trains on at that step (file sharding would
    give each worker different examples). Single-process strategies ignore the
    setting.

    Example:
        >>> dataset = shard_by_data(tf.data.Dataset.range(8).batch(4))
        >>> dataset.options().experimental_distribute.auto_shard_policy.name
        'DATA'
    """
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def _with_leading_axis(step: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def wrapped(data: Any) -> Any:
        return tf.nest.map_structure(
            lambda value: tf.reshape(value, [1]) if value.shape.rank == 0 else value, step(data))
    return wrapped


def prepare_model(model: keras.Model, strategy: tf.distribute.Strategy) -> None:
    """Lets `fit()` and `evaluate()` run the model's steps across several workers.

    With several workers, Keras averages the values a step returns over the
    replicas along axis 0, which a scalar metric does not have. This gives the
    scalars of `train_step` and `test_step` a leading axis of length 1, so the
    logs are the mean over all replicas, as on one machine. Does nothing on
    one worker.

    Args:
        model: the compiled model (its steps are wrapped in place).
        strategy: the strategy the model was built under.
    """
    if worker_count(strategy) < 2:
        return
    model.train_step = _with_leading_axis(model.train_step)
    model.test_step = _with_leading_axis(model.test_step)


def scratch_checkpoint_dir() -> Path:
    """Where a worker that is not the chief saves its checkpoints, to be deleted after each save.

    A fresh path under the system's temporary folder (not created here: it
    exists only while a save is being written).
    """
    return Path(tempfile.gettempdir()) / f"zoo-worker-checkpoints-{os.getpid()}"


def check_same_start(strategy: tf.distribute.Strategy, epoch: int, out: Path) -> None:
    """Refuses a multi-worker run whose workers did not all restore the same checkpoint.

    Args:
        strategy: the run's strategy.
        epoch: the epochs done in the checkpoint this worker restored (0 for none).
        out: the run folder, for the message.

    Raises:
        RunError: the workers' epochs differ (a worker could not see the chief's
            checkpoints in `out`).
    """
    if worker_count(strategy) < 2:
        return
    values = strategy.experimental_distribute_values_from_function(
        lambda context: tf.constant([epoch], tf.int64))
    epochs = strategy.gather(values, axis=0).numpy().tolist()
    if len(set(epochs)) > 1:
        raise RunError(
            f"The workers restored different checkpoints from --out {out} (epochs done per "
            f"replica: {epochs}); --out must be one folder every worker sees (on a "
            "filesystem shared by all machines), given as the same --out to all of them.")


# What a collective op raises when a peer has died or cannot be reached.
_LOST_PEER_ERRORS = (tf.errors.UnavailableError, tf.errors.AbortedError,
                     tf.errors.DeadlineExceededError)


def _ignore_abandoned_thread_pools() -> None:
    """Keeps a dead peer's aftermath out of the run's last line.

    An eager all-reduce (TensorFlow reads the replicas' metrics that way between
    steps) runs in a `multiprocessing` thread pool that it never closes when the
    reduction fails; at exit, the pool's `__del__` then prints an ignored
    `OSError: Bad file descriptor` traceback after the run's one-line error.
    """
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if not (isinstance(unraisable.exc_value, OSError)
                and getattr(unraisable.object, "__qualname__", "") == "Pool.__del__"):
            previous(unraisable)

    sys.unraisablehook = hook


@contextlib.contextmanager
def stop_on_lost_workers(strategy: tf.distribute.Strategy, out: Path) -> Iterator[None]:
    """Turns the error of a collective op whose peer died into a `RunError` saying what to do.

    Args:
        strategy: the run's strategy; with one worker, errors pass through unchanged.
        out: the run folder, for the message.

    Raises:
        RunError: a worker of a multi-worker run could not be reached.
    """
    try:
        yield
    except _LOST_PEER_ERRORS as error:
        if worker_count(strategy) < 2:
            raise
        _ignore_abandoned_thread_pools()
        # TensorFlow prefixes the op's function name in {{...}}; the rest is the reason.
        reason = re.sub(r"\{\{.*?\}\}\s*", "", error.message).strip().splitlines()[0][:200]
        raise RunError(
            f"Lost contact with another worker of the run ({type(error).__name__}: {reason}); "
            "restart every worker with the same command to resume from the last checkpoint "
            f"in --out {out}.") from error
