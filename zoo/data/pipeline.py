"""The `tf.data` input pipeline every zoo model trains and evaluates through.

Examples are named features: a mapping of equal-length arrays (`{"image": ...,
"label": ...}`, `{"input": ..., "target": ...}`), either the data themselves,
held in memory, or the paths of files that a per-example `read` function
decodes as the stream runs, so a folder of images is never loaded whole.

Training reads an infinite stream of batches made of passes over the data
(pass p = one shuffled traversal). Every random choice, the order of a pass,
the seed handed to `read` for each example and the one handed to `preprocess`
for each batch, is a function of (seed, pass, position) alone, never of global
random state or of how many batches were drawn before. So a run resumed at
epoch k gets exactly the batches an uninterrupted run would have seen from
epoch k on, and the stream can start there without computing the batches
before it.

`preprocess` runs once per batch on whole tensors, not once per example, so
in-memory data costs little beside the training step; `read` runs per example
in parallel with the step.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np
import tensorflow as tf

from zoo import checks

__all__ = ["evaluation_dataset", "training_stream"]

Features = Mapping[str, Any]
"""Named features: a mapping of name -> array (whole data set) or tensor (a batch or example)."""

# Distinct streams derived from one seed, so the pass order, the training draws and
# the held-out draws never reuse each other's randomness.
_ORDER_STREAM = 1
_TRAIN_STREAM = 2
_EVAL_STREAM = 3
_EXAMPLE_STREAM = 4
_EVAL_EXAMPLE_STREAM = 5
# Pinned rather than "auto_select" so orders and seeds do not depend on the device.
_ALG = "philox"


def _fold_in(key: tf.Tensor, data: Any) -> tf.Tensor:
    return tf.random.experimental.stateless_fold_in(key, tf.cast(data, tf.int64), alg=_ALG)


def _root_key(seed: int, stream: int) -> tf.Tensor:
    return _fold_in(tf.constant([seed, 0], tf.int64), stream)


def _as_tensors(features: Any) -> tuple[dict[str, tf.Tensor], int]:
    """Validates `features` and converts them to tensors once, which serves as the cache."""
    if not isinstance(features, Mapping):
        raise ValueError("features must be a mapping of names to arrays, e.g. {'image': images}; "
                         f"got {type(features).__name__}.")
    if not features:
        raise ValueError("features must hold at least one array, got an empty mapping.")
    arrays = {name: np.asarray(array) for name, array in features.items()}
    for name, array in arrays.items():
        if array.ndim == 0:
            raise ValueError(f"features[{name!r}] must have a leading example dimension, "
                             "got a scalar.")
    lengths = {name: len(array) for name, array in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"features must all hold the same number of examples, got lengths "
                         f"{lengths}.")
    count = next(iter(lengths.values()))
    if count == 0:
        raise ValueError("features hold no examples (length 0).")
    return {name: tf.convert_to_tensor(array) for name, array in arrays.items()}, count


def _gather(tensors: dict[str, tf.Tensor], indices: tf.Tensor) -> dict[str, tf.Tensor]:
    return {name: tf.gather(tensor, indices) for name, tensor in tensors.items()}


def _check_seed(seed: Any) -> int:
    return checks.integer("seed", seed, minimum=-(2**63), maximum=2**63 - 1)


def training_stream(
    features: Features,
    *,
    batch_size: int,
    seed: int,
    preprocess: Callable[[Features, tf.Tensor], Any],
    read: Callable[[Features, tf.Tensor], Features] | None = None,
    steps_per_epoch: int | None = None,
    start_epoch: int = 0,
) -> tuple[tf.data.Dataset, int]:
    """The infinite, reproducible stream of training batches, starting at an epoch.

    Pass p (p = 0, 1, 2, ...) visits every example once in an order drawn from
    (seed, p) and is cut into full batches of `batch_size`; the few examples left over
    are dropped from that pass (a different few each pass), so every step splits the
    same global batch across replicas, and no batch mixes two passes. An epoch is
    `steps_per_epoch` consecutive batches of that stream, which need not line up with
    the passes.

    Args:
        features: named equal-length arrays, e.g. `{"image": images, "label": labels}`,
            held in memory: the data, or file paths for `read`.
        batch_size: examples per batch, at least 1.
        seed: the seed every order and per-example seed is derived from.
        preprocess: called per batch as `preprocess(batch, seed)` with the batch's
            named features and an int64 tensor `seed` of shape [2] derived from (seed,
            pass, index of the batch in the pass), for `tf.random.stateless_*` ops;
            returns what the model's `train_step` receives.
        read: if given, called per example, before batching, as `read(example, seed)`
            with the example's named features and a seed derived from (seed, pass,
            position in the pass); returns the example's features as the batch needs
            them (decoded files, augmented images of one shape).
        steps_per_epoch: batches per epoch; None means one pass,
            `number of examples // batch_size`.
        start_epoch: epochs already done; the stream starts at batch
            `start_epoch * steps_per_epoch` without computing the batches before it.

    Returns:
        `(dataset, steps_per_epoch)`: the infinite batched dataset and the batches per epoch
        to pass to `fit`.

    Raises:
        ValueError: an argument is invalid (names the value).
    """
    tensors, count = _as_tensors(features)
    batch_size = checks.integer("batch_size", batch_size, minimum=1)
    seed = _check_seed(seed)
    start_epoch = checks.integer("start_epoch", start_epoch, minimum=0)
    if batch_size > count:
        raise ValueError(f"batch_size {batch_size} is larger than the {count} examples; "
                         "use a smaller batch size.")
    batches_per_pass = count // batch_size
    if steps_per_epoch is None:
        steps_per_epoch = batches_per_pass
    steps_per_epoch = checks.integer("steps_per_epoch", steps_per_epoch, minimum=1)

    first_pass, first_batch = divmod(start_epoch * steps_per_epoch, batches_per_pass)
    order_key = _root_key(seed, _ORDER_STREAM)
    train_key = _root_key(seed, _TRAIN_STREAM)
    example_root = _root_key(seed, _EXAMPLE_STREAM)

    def one_pass(pass_index: tf.Tensor) -> tf.data.Dataset:
        order = tf.random.experimental.stateless_shuffle(
            tf.range(count, dtype=tf.int64), seed=_fold_in(order_key, pass_index), alg=_ALG)
        batches = tf.reshape(order[:batches_per_pass * batch_size], [batches_per_pass, batch_size])
        # Resuming starts the first pass at the batch where the uninterrupted stream is,
        # so the batches before it are never computed.
        start = tf.where(tf.equal(pass_index, first_pass), tf.constant(first_batch, tf.int64),
                         tf.constant(0, tf.int64))
        pass_key = _fold_in(train_key, pass_index)
        batch_indices = tf.range(start, batches_per_pass, dtype=tf.int64)

        def batch(batch_index: tf.Tensor, values: Features) -> Any:
            return preprocess(values, _fold_in(pass_key, batch_index))

        if read is None:
            # In memory: one gather per batch, much cheaper than per-example work.
            batched = tf.data.Dataset.from_tensor_slices((batch_indices, batches[start:])).map(
                lambda index, indices: (index, _gather(tensors, indices)),
                num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        else:
            example_key = _fold_in(example_root, pass_index)
            positions = tf.range(start * batch_size, batches_per_pass * batch_size, dtype=tf.int64)
            examples = tf.data.Dataset.from_tensor_slices(
                (positions, tf.reshape(batches[start:], [-1]))).map(
                lambda position, index: read(_gather(tensors, index),
                                             _fold_in(example_key, position)),
                num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
            batched = tf.data.Dataset.zip(
                tf.data.Dataset.from_tensor_slices(batch_indices),
                examples.batch(batch_size, drop_remainder=True))
        return batched.map(batch, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)

    dataset = (tf.data.Dataset.counter(start=first_pass, dtype=tf.int64)
               .flat_map(one_pass)
               .apply(tf.data.experimental.assert_cardinality(tf.data.INFINITE_CARDINALITY))
               .prefetch(tf.data.AUTOTUNE))
    return dataset, steps_per_epoch


def evaluation_dataset(
    features: Features,
    *,
    batch_size: int,
    seed: int,
    preprocess: Callable[[Features, tf.Tensor], Any],
    read: Callable[[Features, tf.Tensor], Features] | None = None,
) -> tf.data.Dataset:
    """One unshuffled, batched pass whose random preprocessing is the same on every read.

    Args:
        features: named equal-length arrays, e.g. `{"image": images, "label": labels}`.
        batch_size: examples per batch, at least 1; the last batch may be smaller.
        seed: the seed the per-batch seeds are derived from.
        preprocess: called per batch as `preprocess(batch, seed)` where `seed` is an
            int64 tensor of shape [2] derived from (seed, index of the batch), so a
            held-out set gets one fixed draw for a given batch size.
        read: if given, called per example as `read(example, seed)` (seed from the
            example's index) before batching; see `training_stream`.

    Returns:
        The finite batched dataset.

    Raises:
        ValueError: an argument is invalid (names the value).
    """
    tensors, count = _as_tensors(features)
    batch_size = checks.integer("batch_size", batch_size, minimum=1)
    seed = _check_seed(seed)
    eval_key = _root_key(seed, _EVAL_STREAM)

    def batch(index: tf.Tensor, values: Features) -> Any:
        return preprocess(values, _fold_in(eval_key, index))

    examples = tf.data.Dataset.from_tensor_slices(tensors)
    if read is not None:
        example_key = _root_key(seed, _EVAL_EXAMPLE_STREAM)
        examples = examples.enumerate().map(
            lambda position, example: read(example, _fold_in(example_key, position)),
            num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return (examples
            .batch(batch_size)
            .enumerate()
            .map(batch, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
            .prefetch(tf.data.AUTOTUNE))
