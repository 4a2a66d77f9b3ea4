"""Numerics that stay right under any `tf.distribute` strategy: loss shares and random draws.

Two things differ between one device and N replicas, and the families use
the helpers here for both:

- Keras sums the replicas' gradients, so each replica's loss must be its
  share of the global-batch mean (`replica_mean`), not its own mean.
- A `keras.random.SeedGenerator` created in a strategy's scope is mirrored:
  every replica holds the same state and would draw the same numbers, so a
  global batch of B would carry only B / N independent draws. `replica_seed`
  folds the replica's index into the generator's next seed, so each replica
  draws its own numbers while the run stays reproducible (the generator's
  state is a model variable, checkpointed and restored with the weights).
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf


def replica_mean(per_example: tf.Tensor) -> tf.Tensor:
    """The global-batch mean of a per-example loss, as this replica's share.

    Each replica contributes the sum of its own examples divided by the number
    of examples across all replicas. The sum of those shares is the mean over
    the global batch, exactly, even when the replicas hold batches of
    different sizes. Report metrics from the unscaled per-example values.

    Args:
        per_example: a loss of shape `(batch,)` for this replica's examples.

    Returns:
        A scalar whose gradient, summed over replicas, is the gradient of the
        global-batch mean.

    Example:
        >>> float(replica_mean(tf.constant([1.0, 2.0, 6.0])))  # one replica
        3.0
    """
    local_count = tf.cast(tf.shape(per_example)[0], per_example.dtype)
    context = tf.distribute.get_replica_context()
    global_count = (
        context.all_reduce(tf.distribute.ReduceOp.SUM, local_count) if context else local_count
    )
    return tf.reduce_sum(per_example) / global_count


def replica_id() -> tf.Tensor:
    """This replica's index among all replicas of all workers (0 outside a strategy), int64."""
    context = tf.distribute.get_replica_context()
    index = context.replica_id_in_sync_group if context is not None else 0
    return tf.cast(index, tf.int64)


def replica_seed(generator: keras.random.SeedGenerator) -> tf.Tensor:
    """The generator's next seed with this replica's index folded in: shape [2], int64.

    Pass it to `tf.random.stateless_*`. Every call advances the generator
    once (on every replica alike), so successive draws differ; replicas get
    different seeds from the same state.

    Example:
        >>> generator = keras.random.SeedGenerator(0)
        >>> first, second = replica_seed(generator), replica_seed(generator)
        >>> bool(tf.reduce_all(first == second))
        False
    """
    seed = tf.cast(generator.next(), tf.int64)
    return tf.random.experimental.stateless_fold_in(seed, replica_id())


@keras.saving.register_keras_serializable(package="zoo")
class Dropout(keras.layers.Dropout):
    """`keras.layers.Dropout` whose masks differ from replica to replica.

    Keras' own layer draws from a mirrored seed generator, so under a
    strategy every replica would drop the same units of its examples.
    Inference is unchanged: identity unless `training`.
    """

    def call(self, inputs: tf.Tensor, training: Any = False) -> tf.Tensor:
        if not training or self.rate == 0:
            return inputs
        noise_shape = None if self.noise_shape is None else [
            tf.shape(inputs)[axis] if size is None else size
            for axis, size in enumerate(self.noise_shape)]
        return tf.nn.experimental.stateless_dropout(
            inputs, rate=self.rate, seed=replica_seed(self.seed_generator),
            noise_shape=noise_shape)
