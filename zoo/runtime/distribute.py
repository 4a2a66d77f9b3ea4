"""Choosing a `tf.distribute` strategy and scaling losses for it."""

from __future__ import annotations

import json
import os

import tensorflow as tf

STRATEGIES = ("auto", "default", "mirrored", "multi-worker")


def _tf_config_workers() -> int:
    """Number of worker tasks TF_CONFIG names (chief included), 0 without TF_CONFIG."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return 0
    try:
        cluster = json.loads(raw).get("cluster", {})
    except json.JSONDecodeError as error:
        raise ValueError(f"TF_CONFIG is not valid JSON ({error}); unset it or fix it.") from error
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
        raise ValueError(f"Unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}.")
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


def replica_mean(per_example: tf.Tensor) -> tf.Tensor:
    """The global-batch mean of a per-example loss, as this replica's share.

    Keras sums the replicas' gradients, so each replica contributes the sum of
    its own examples divided by the number of examples across all replicas.
    The sum of those shares is the mean over the global batch, exactly, even
    when the replicas hold batches of different sizes. Report metrics from the
    unscaled per-example values, not from this.

    Args:
        per_example: a loss of shape `(batch,)` for this replica's examples.

    Returns:
        A scalar whose gradient, summed over replicas, is the gradient of the
        global-batch mean.
    """
    local_count = tf.cast(tf.shape(per_example)[0], per_example.dtype)
    context = tf.distribute.get_replica_context()
    global_count = (
        context.all_reduce(tf.distribute.ReduceOp.SUM, local_count) if context else local_count
    )
    return tf.reduce_sum(per_example) / global_count
