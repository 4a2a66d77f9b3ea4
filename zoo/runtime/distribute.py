"""Choosing the `tf.distribute` strategy a run trains under, and which process writes files.

The numerics that keep a step right under any strategy live in `zoo.distributed`.
"""

from __future__ import annotations

import json
import os

import tensorflow as tf

from zoo.errors import ConfigurationError

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
