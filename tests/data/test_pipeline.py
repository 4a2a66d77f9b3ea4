"""Tests of zoo.data.pipeline: pass structure, reproducibility, resuming and seeds."""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest
import tensorflow as tf

from zoo.data import evaluation_dataset, training_stream


def _with_seed(batch: dict, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    return batch["value"], seed


def _noisy(batch: dict, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    scaled = tf.cast(batch["image"], tf.float32) / 255.0
    return scaled + tf.random.stateless_uniform(tf.shape(scaled), seed), batch["label"]


def _batches(dataset: tf.data.Dataset, count: int) -> list:
    return [tf.nest.map_structure(lambda tensor: tensor.numpy(), batch)
            for batch in itertools.islice(dataset, count)]


def _stream(count: int = 10, count_batches: int = 12, **kwargs) -> list:
    options = {"batch_size": 4, "seed": 0, "preprocess": _with_seed, **kwargs}
    dataset, _ = training_stream({"value": np.arange(count)}, **options)
    return _batches(dataset, count_batches)


def _assert_same(left: list, right: list) -> None:
    assert len(left) == len(right)
    for one, other in zip(left, right):
        tf.nest.map_structure(np.testing.assert_array_equal, one, other)


def _image_data(count: int = 6) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"image": rng.integers(0, 256, (count, 4, 4, 1), dtype=np.uint8),
            "label": np.arange(count)}


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
        training_stream({"value": np.arange(10)}, batch_size=11, seed=0, preprocess=_with_seed)


def test_steps_per_epoch_defaults_to_one_pass() -> None:
    data = {"value": np.arange(10), "other": np.arange(10)}
    _, steps = training_stream(data, batch_size=4, seed=0, preprocess=_with_seed)
    assert steps == 2
    _, steps = training_stream(data, batch_size=5, seed=0, preprocess=_with_seed,
                               steps_per_epoch=7)
    assert steps == 7


def test_same_seed_same_stream_and_other_seed_other_stream() -> None:
    _assert_same(_stream(seed=3), _stream(seed=3))
    first, other = _stream(seed=3), _stream(seed=4)
    assert not all(np.array_equal(one[0], two[0]) for one, two in zip(first, other))


START_EPOCHS = (1, 2, 5)


@functools.lru_cache
def _uninterrupted(steps_per_epoch: int | None) -> tuple[list, int]:
    """The batches of every epoch the resuming tests compare with, read once for all of them
    (14 examples in batches of 4: 3 batches per pass, which 2 and 5 do not divide), and the
    steps per epoch."""
    dataset, steps = training_stream({"value": np.arange(14)}, batch_size=4, seed=7,
                                     preprocess=_with_seed, steps_per_epoch=steps_per_epoch)
    return _batches(dataset, (max(START_EPOCHS) + 2) * steps), steps


@pytest.mark.parametrize("steps_per_epoch", [None, 2, 5])
@pytest.mark.parametrize("start_epoch", START_EPOCHS)
def test_resuming_gives_the_uninterrupted_batches(steps_per_epoch, start_epoch) -> None:
    uninterrupted, steps = _uninterrupted(steps_per_epoch)
    resumed, _ = training_stream({"value": np.arange(14)}, batch_size=4, seed=7,
                                 preprocess=_with_seed, steps_per_epoch=steps_per_epoch,
                                 start_epoch=start_epoch)
    _assert_same(_batches(resumed, 2 * steps),
                 uninterrupted[start_epoch * steps:(start_epoch + 2) * steps])


def test_resuming_does_not_preprocess_the_skipped_batches() -> None:
    seen = []

    def recording(batch: dict, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        def record(seed_value: np.ndarray) -> np.ndarray:
            seen.append(tuple(seed_value))
            return seed_value
        return batch["value"], tf.numpy_function(record, [seed], tf.int64, stateful=True)

    # Start at batch 4 * 2 = 8: the 9th of 10 batches of pass 0 (100 examples, batch 10).
    full = _stream(count=100, count_batches=10, batch_size=10)
    skipped = {tuple(seed) for _, seed in full[:8]}
    resumed, _ = training_stream({"value": np.arange(100)}, batch_size=10, seed=0,
                                 preprocess=recording, steps_per_epoch=2, start_epoch=4)
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


def test_random_preprocessing_is_reproducible_and_gets_named_features() -> None:
    data = _image_data()
    images = data["image"]
    first, _ = training_stream(data, batch_size=4, seed=0, preprocess=_noisy)
    second, _ = training_stream(data, batch_size=4, seed=0, preprocess=_noisy)
    batches = _batches(first, 6)
    _assert_same(batches, _batches(second, 6))
    noisy, batch_labels = batches[0]
    assert noisy.dtype == np.float32 and noisy.shape == (4, 4, 4, 1)
    np.testing.assert_array_equal(noisy.max() < 2.0, True)
    exact = images[batch_labels].astype(np.float32) / 255.0
    assert not np.allclose(noisy, exact)


def test_evaluation_dataset_is_ordered_and_identical_on_every_read() -> None:
    data = _image_data(6)
    labels = data["label"]
    dataset = evaluation_dataset(data, batch_size=4, seed=0, preprocess=_noisy)
    first, second = _batches(dataset, 10), _batches(dataset, 10)
    _assert_same(first, second)
    assert [len(batch_labels) for _, batch_labels in first] == [4, 2]
    np.testing.assert_array_equal(np.concatenate([batch for _, batch in first]), labels)
    other = _batches(evaluation_dataset(data, batch_size=4, seed=1, preprocess=_noisy), 10)
    assert not np.allclose(first[0][0], other[0][0])


_FOUR = {"value": np.arange(4)}


@pytest.mark.parametrize("features, options, bad", [
    (_FOUR, {"batch_size": 0}, "batch_size"),
    (_FOUR, {"batch_size": 2.0}, "batch_size"),
    ({"value": np.arange(4), "other": np.arange(5)}, {}, "'value': 4, 'other': 5"),
    ({"value": np.arange(0)}, {}, "no examples"),
    ({}, {}, "at least one array"),
    ((np.arange(4),), {}, "mapping of names to arrays"),
    (_FOUR, {"steps_per_epoch": 0}, "steps_per_epoch"),
    (_FOUR, {"start_epoch": -1}, "start_epoch"),
    (_FOUR, {"seed": 2**64}, "seed"),
])
def test_training_stream_rejects_bad_arguments(features, options, bad: str) -> None:
    arguments = {"batch_size": 2, "seed": 0, "preprocess": _with_seed, **options}
    with pytest.raises(ValueError, match=bad):
        training_stream(features, **arguments)


def test_evaluation_dataset_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        evaluation_dataset(_FOUR, batch_size=-1, seed=0, preprocess=_with_seed)
    with pytest.raises(ValueError, match="same number of examples"):
        evaluation_dataset({"value": np.arange(4), "other": np.arange(3)}, batch_size=2, seed=0,
                           preprocess=_with_seed)


def _read_with_seed(example: dict, seed: tf.Tensor) -> dict:
    return {"value": example["value"], "example_seed": seed}


def test_read_runs_per_example_with_its_own_seed_and_resumes_exactly() -> None:
    data = {"value": np.arange(14)}

    def keep(batch: dict, seed: tf.Tensor) -> dict:
        return dict(batch)

    dataset, steps = training_stream(data, batch_size=4, seed=2, preprocess=keep,
                                     read=_read_with_seed, steps_per_epoch=2)
    uninterrupted = _batches(dataset, 8)
    seeds = np.concatenate([batch["example_seed"] for batch in uninterrupted])
    assert len({tuple(seed) for seed in seeds}) == len(seeds)  # one seed per example read
    for batch in uninterrupted:
        assert batch["value"].shape == (4,)
    # Across an epoch boundary that falls inside a pass (3 batches a pass, 2 an epoch).
    resumed, _ = training_stream(data, batch_size=4, seed=2, preprocess=keep,
                                 read=_read_with_seed, steps_per_epoch=2, start_epoch=1)
    _assert_same(_batches(resumed, 6), uninterrupted[2:])
    evaluation = evaluation_dataset(data, batch_size=4, seed=2, preprocess=keep,
                                    read=_read_with_seed)
    first, again = _batches(evaluation, 10), _batches(evaluation, 10)
    _assert_same(first, again)
    np.testing.assert_array_equal(np.concatenate([b["value"] for b in first]), np.arange(14))
