"""Image folders in the pix2pix and CycleGAN layouts, read lazily; jitter keeps pairs aligned."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from zoo.data import DataError, DataUnavailableError, evaluation_dataset, training_stream
from zoo.data.augment import jitter, load_size
from zoo.data.folders import paired_folder, unpaired_folder


def _write(path: Path, pixels: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tf.io.encode_png(pixels).numpy())
    return path


def _pattern(height: int, width: int, seed: int, channels: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, channels), np.uint8)


@pytest.fixture
def paired_root(tmp_path: Path) -> Path:
    """train/ with 5 pairs whose two halves are the same picture (odd sizes, one greyscale)."""
    root = tmp_path / "pairs"
    for index, (height, width, channels) in enumerate(
            [(20, 21, 3), (33, 17, 3), (16, 16, 1), (24, 30, 3), (19, 40, 3)]):
        half = _pattern(height, width, index, channels)
        _write(root / "train" / f"{index:02d}.png", np.concatenate([half, half], axis=1))
    _write(root / "test" / "00.png", np.concatenate(
        [np.full((8, 8, 3), 255, np.uint8), np.zeros((8, 8, 3), np.uint8)], axis=1))
    (root / "train" / "notes.txt").write_text("not an image")
    return root


def _first(dataset: tf.data.Dataset) -> dict[str, np.ndarray]:
    return {name: value.numpy() for name, value in next(iter(dataset)).items()}


def test_a_paired_folder_lists_images_sorted_and_reads_them_as_rgb_halves(paired_root):
    examples = paired_folder(paired_root, "test", direction="AtoB")
    assert len(examples) == 1 and examples.image_keys == ("input", "target")
    pair = examples.read({"path": tf.constant(examples.features["path"][0])})
    np.testing.assert_array_equal(pair["input"].numpy(), np.ones((8, 8, 3)))   # left: white
    np.testing.assert_array_equal(pair["target"].numpy(), np.zeros((8, 8, 3)))  # right: black
    flipped = paired_folder(paired_root, "test", direction="BtoA")
    pair = flipped.read({"path": tf.constant(flipped.features["path"][0])})
    np.testing.assert_array_equal(pair["input"].numpy(), np.zeros((8, 8, 3)))
    train = paired_folder(paired_root, "train[1:4]")
    assert [Path(path).name for path in train.features["path"]] == ["01.png", "02.png", "03.png"]
    grey = train.read({"path": tf.constant(train.features["path"][1])})["input"].numpy()
    assert grey.shape == (16, 16, 3)  # one channel in the file, three after reading
    np.testing.assert_array_equal(grey[..., 0], grey[..., 2])


def test_jitter_crops_and_mirrors_input_and_target_together(paired_root):
    examples = paired_folder(paired_root, "train")
    read = examples.reader(16, "jitter")
    crops = []
    for index, seed in itertools.product(range(len(examples)), range(4)):
        pair = read({"path": tf.constant(examples.features["path"][index])},
                    tf.constant([seed, index], tf.int64))
        assert pair["input"].shape == pair["target"].shape == (16, 16, 3)
        np.testing.assert_array_equal(pair["input"].numpy(), pair["target"].numpy())
        crops.append(pair["input"].numpy())
    # Different seeds give different crops or mirrors of the same image.
    assert not np.array_equal(crops[0], crops[1]) or not np.array_equal(crops[0], crops[2])
    assert load_size(16) == 18


def test_jitter_is_a_crop_of_the_resized_image_or_its_mirror():
    image = tf.constant(np.random.default_rng(0).random((10, 10, 3)), tf.float32)
    resized = tf.clip_by_value(tf.image.resize(image, [load_size(8)] * 2, method="bicubic"), 0, 1)
    for seed in range(6):
        out = jitter({"x": image}, ["x"], 8, tf.constant([seed, 0], tf.int64))["x"].numpy()
        windows = [resized[top:top + 8, left:left + 8].numpy() for top in range(2) for left in
                   range(2)]
        assert any(np.allclose(out, window) or np.allclose(out, window[:, ::-1])
                   for window in windows)


def test_a_folder_stream_resumes_across_an_epoch_boundary(paired_root):
    examples = paired_folder(paired_root, "train")
    read = examples.reader(8, "jitter")

    def keep(batch, seed):
        return dict(batch)

    options = {"batch_size": 2, "seed": 3, "preprocess": keep, "read": read,
               "steps_per_epoch": 3}
    stream, _ = training_stream(examples.features, **options)
    uninterrupted = [_batch for _batch in itertools.islice(stream, 6)]
    resumed, _ = training_stream(examples.features, start_epoch=1, **options)
    for one, other in zip(itertools.islice(resumed, 3), uninterrupted[3:]):
        for name in ("input", "target"):
            np.testing.assert_array_equal(one[name].numpy(), other[name].numpy())
    held_out = evaluation_dataset(examples.features, batch_size=5, seed=0, preprocess=keep,
                                  read=examples.reader(8, "none"))
    assert _first(held_out)["input"].shape == (5, 8, 8, 3)


def test_an_unpaired_folder_gives_each_domain_its_own_examples(tmp_path):
    for name, count in (("trainA", 3), ("trainB", 2), ("testA", 1), ("testB", 1)):
        for index in range(count):
            channels = 1 if (name, index) == ("trainB", 1) else 3
            _write(tmp_path / name / f"{index}.png", _pattern(9 + index, 11, index, channels))
    domains = unpaired_folder(tmp_path, "train").domains
    assert {name: len(examples) for name, examples in domains.items()} == {"a": 3, "b": 2}
    grey = domains["b"].read({"path": tf.constant(domains["b"].features["path"][1])})["image"]
    assert grey.shape == (10, 11, 3)
    assert len(unpaired_folder(tmp_path, "test").domains["a"]) == 1


@pytest.mark.parametrize("split, error, message", [
    ("val", DataUnavailableError, "There is no folder .*val"),
    ("train[5:]", DataError, "split 'train\\[5:\\]' holds no examples"),
    ("training", DataError, "Unsupported paired split 'training'"),
])
def test_missing_or_empty_splits_say_so(paired_root, split, error, message):
    with pytest.raises(error, match=message):
        paired_folder(paired_root, split)


def test_an_empty_folder_is_refused(tmp_path):
    (tmp_path / "trainA").mkdir()
    with pytest.raises(DataUnavailableError, match="trainA holds no images"):
        unpaired_folder(tmp_path, "train")


def test_an_unpaired_stream_runs_as_long_as_the_larger_domain_and_resumes_exactly(tmp_path):
    for name, count in (("trainA", 5), ("trainB", 2)):
        for index in range(count):
            _write(tmp_path / name / f"{index}.png", _pattern(12, 10, index + 10 * len(name)))
    examples = unpaired_folder(tmp_path, "train")
    assert len(examples) == 5

    def keep(batch, seed):
        return {**batch, "seed": seed}

    stream, steps = examples.stream(batch_size=1, seed=4, preprocess=keep, image_size=8,
                                    augment="jitter")
    assert steps == 5  # the larger domain sets the epoch
    batches = [{name: value.numpy() for name, value in batch.items()}
               for batch in itertools.islice(stream, 10)]
    assert all(batch["a"].shape == batch["b"].shape == (1, 8, 8, 3) for batch in batches)
    # Domain B's two images come round again and again, in a new order and crop each pass.
    b_images = [batch["b"][0] for batch in batches]
    assert len({image.tobytes() for image in b_images}) > 2
    resumed, _ = examples.stream(batch_size=1, seed=4, preprocess=keep, image_size=8,
                                 augment="jitter", start_epoch=1)
    for mine, theirs in zip(itertools.islice(resumed, 5), batches[5:]):
        for name in ("a", "b", "seed"):
            np.testing.assert_array_equal(mine[name].numpy(), theirs[name])
    held_out = examples.held_out(3, image_size=8)
    assert held_out["a"].shape == (3, 8, 8, 3) and held_out["b"].shape == (2, 8, 8, 3)
