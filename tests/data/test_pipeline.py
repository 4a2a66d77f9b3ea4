"""Tests of zoo.data.pipeline: pass structure, reproducibility, resuming and seeds."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import tensorflow as tf

from zoo.data import evaluation_dataset, training_stream


def _with_seed(value: tf.Tensor, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    return value, seed


def _noisy(image: tf.Tensor, label: tf.Tensor, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    scaled = tf.cast(image, tf.float32) / 255.0
    return scaled + tf.random.stateless_uniform(tf.shape(scaled), seed), label


def _batches(dataset: tf.data.Dataset, count: int) -> list:
    return [tf.nest.map_structure(lambda tensor: tensor.numpy(), batch)
            for batch in itertools.islice(dataset, count)]


def _stream(count: int = 10, count_batches: int = 12, **kwargs) -> list:
    options = {"batch_size": 4, "seed": 0, "preprocess": _with_seed, **kwargs}
    dataset, _ = training_stream((np.arange(count),), **options)
    return _batches(dataset, count_batches)


def _assert_same(left: list, right: list) -> None:
    assert len(left) == len(right)
    for one, other in zip(left, right):
        tf.nest.map_structure(np.testing.assert_array_equal, one, other)


def _image_data(count: int = 6) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (count, 4, 4, 1), dtype=np.uint8), np.arange(count)


def test_each_pass_visits_examples_once_in_full_batches_and_its_own_order() -> None:
    batches = _stream(count=10, count_batches=6)
    assert [len(values) for values, _ in batches] == [4] * 6
    passes = [np.concatenate([values for values, _ in batches[start:start + 2]])
              for start in (0, 2, 4)]
    for order in passes:
        assert len(set(order)) == 8 and set(order) <= set(range(10))
    assert len({tuple(order) for order in passes}) == 3
    # The two examples left over from a pass differ between passes.
    assert len({frozenset(range(10)) - frozenset(order) for order in passes}) > 1


def test_a_batch_larger_than_the_data_is_refused() -> None:
    with pytest.raises(ValueError, match="batch_size 11 is larger than the 10 examples"):
        training_stream((np.arange(10),), batch_size=11, seed=0, preprocess=_with_seed)


def test_steps_per_epoch_defaults_to_one_pass() -> None:
    data = (np.arange(10), np.arange(10))
    _, steps = training_stream(data, batch_size=4, seed=0, preprocess=lambda *args: args[0])
    assert steps == 2
    _, steps = training_stream(data, batch_size=5, seed=0, preprocess=lambda *args: args[0],
                               steps_per_epoch=7)
    assert steps == 7


def test_same_seed_same_stream_and_other_seed_other_stream() -> None:
    _assert_same(_stream(seed=3), _stream(seed=3))
    first, other = _stream(seed=3), _stream(seed=4)
    assert not all(np.array_equal(one[0], two[0]) for one, two in zip(first, other))


@pytest.mark.parametrize("steps_per_epoch", [None, 2, 5])
@pytest.mark.parametrize("start_epoch", [1, 2, 5])
def test_resuming_gives_the_uninterrupted_batches(steps_per_epoch, start_epoch) -> None:
    # 14 examples in batches of 4: 3 batches per pass, which 2 and 5 do not divide.
    dataset, steps = training_stream((np.arange(14),), batch_size=4, seed=7,
                                     preprocess=_with_seed, steps_per_epoch=steps_per_epoch)
    uninterrupted = _batches(dataset, (start_epoch + 2) * steps)
    resumed, _ = training_stream((np.arange(14),), batch_size=4, seed=7, preprocess=_with_seed,
                                 steps_per_epoch=steps_per_epoch, start_epoch=start_epoch)
    _assert_same(_batches(resumed, 2 * steps), uninterrupted[start_epoch * steps:])


def test_resuming_does_not_preprocess_the_skipped_batches() -> None:
    seen = []

    def recording(value: tf.Tensor, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        def record(seed_value: np.ndarray) -> np.ndarray:
            seen.append(tuple(seed_value))
            return seed_value
        return value, tf.numpy_function(record, [seed], tf.int64, stateful=True)

    # Start at batch 4 * 2 = 8: the 9th of 10 batches of pass 0 (100 examples, batch 10).
    full = _stream(count=100, count_batches=10, batch_size=10)
    skipped = {tuple(seed) for _, seed in full[:8]}
    resumed, _ = training_stream((np.arange(100),), batch_size=10, seed=0, preprocess=recording,
                                 steps_per_epoch=2, start_epoch=4)
    _assert_same(_batches(resumed, 2), full[8:10])
    assert seen and skipped.isdisjoint(seen)


def test_preprocess_gets_whole_batches_with_seeds_per_batch_and_pass() -> None:
    batches = _stream(count=8, count_batches=4)
    assert all(values.shape == (4,) and seed.shape == (2,) for values, seed in batches)
    seeds = [tuple(seed) for _, seed in batches]
    assert len(set(seeds)) == 4  # two batches in each of two passes, all different
    _assert_same(batches, _stream(count=8, count_batches=4))
    assert set(seeds).isdisjoint(
        tuple(seed) for _, seed in _stream(count=8, count_batches=4, seed=1))


def test_random_preprocessing_is_reproducible_and_gets_tuples() -> None:
    images, labels = _image_data()
    first, _ = training_stream((images, labels), batch_size=4, seed=0, preprocess=_noisy)
    second, _ = training_stream((images, labels), batch_size=4, seed=0, preprocess=_noisy)
    batches = _batches(first, 6)
    _assert_same(batches, _batches(second, 6))
    noisy, batch_labels = batches[0]
    assert noisy.dtype == np.float32 and noisy.shape == (4, 4, 4, 1)
    np.testing.assert_array_equal(noisy.max() < 2.0, True)
    exact = images[batch_labels].astype(np.float32) / 255.0
    assert not np.allclose(noisy, exact)


def test_evaluation_dataset_is_ordered_and_identical_on_every_read() -> None:
    images, labels = _image_data(6)
    dataset = evaluation_dataset((images, labels), batch_size=4, seed=0, preprocess=_noisy)
    first, second = _batches(dataset, 10), _batches(dataset, 10)
    _assert_same(first, second)
    assert [len(batch_labels) for _, batch_labels in first] == [4, 2]
    np.testing.assert_array_equal(np.concatenate([batch for _, batch in first]), labels)
    other = _batches(evaluation_dataset((images, labels), batch_size=4, seed=1,
                                        preprocess=_noisy), 10)
    assert not np.allclose(first[0][0], other[0][0])


@pytest.mark.parametrize("features, options, bad", [
    ((np.arange(4),), {"batch_size": 0}, "batch_size"),
    ((np.arange(4),), {"batch_size": 2.0}, "batch_size"),
    ((np.arange(4), np.arange(5)), {}, r"\[4, 5\]"),
    ((np.arange(0),), {}, "no examples"),
    ((), {}, "at least one array"),
    (np.arange(4), {}, "tuple of arrays"),
    ((np.arange(4),), {"steps_per_epoch": 0}, "steps_per_epoch"),
    ((np.arange(4),), {"start_epoch": -1}, "start_epoch"),
    ((np.arange(4),), {"seed": 2**64}, "seed"),
])
def test_training_stream_rejects_bad_arguments(features, options, bad: str) -> None:
    arguments = {"batch_size": 2, "seed": 0, "preprocess": _with_seed, **options}
    with pytest.raises(ValueError, match=bad):
        training_stream(features, **arguments)


def test_evaluation_dataset_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        evaluation_dataset((np.arange(4),), batch_size=-1, seed=0, preprocess=_with_seed)
    with pytest.raises(ValueError, match="same number of examples"):
        evaluation_dataset((np.arange(4), np.arange(3)), batch_size=2, seed=0,
                           preprocess=_with_seed)
