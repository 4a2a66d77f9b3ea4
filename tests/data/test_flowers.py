"""The `flowers` data set: Oxford Flowers 102 through tensorflow-datasets (mocked here) or any
folder of images, each center-cropped to a square and resized to 64 px as keras-io's DDIM
example does; and `ddim_flowers` trained on a folder of the user's own pictures."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.data import DataUnavailableError, load_examples
from zoo.data.sources import FLOWERS_SIZE, has_labels, image_tree, square_crop
from zoo.errors import DataError
from zoo.images import decode_image, resize_image
from zoo.registry import get_entry
from zoo.runtime import train as runtime
from zoo.runtime.train import main
from helpers import go_offline

SIZE = FLOWERS_SIZE


def _png(path: Path, pixels: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tf.io.encode_png(pixels).numpy())
    return path


def _jpeg(path: Path, pixels: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tf.io.encode_jpeg(pixels).numpy())
    return path


def _striped(height: int, width: int, channels: int = 3) -> np.ndarray:
    """A wide (or tall) image whose central square is white and whose margins are black."""
    pixels = np.zeros((height, width, channels), np.uint8)
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    pixels[top:top + side, left:left + side] = 255
    return pixels


def _expected(path: Path) -> np.ndarray:
    """keras-io's preprocessing written out: decode, central square, antialiased resize."""
    image = decode_image(tf.io.read_file(str(path)), 3).numpy()
    side = min(image.shape[:2])
    top, left = (image.shape[0] - side) // 2, (image.shape[1] - side) // 2
    square = resize_image(image[top:top + side, left:left + side], SIZE, SIZE).numpy()
    return np.clip(np.round(square * 255), 0, 255).astype(np.uint8)


def _pictures(root: Path) -> Path:
    """A user's folder: PNG and JPEG files of various sizes, wide, tall and square, RGB and
    grey, some in subfolders, and files that are not images or are hidden."""
    rng = np.random.default_rng(0)
    _png(root / "a_wide.png", _striped(40, 100))
    _jpeg(root / "b_tall.jpg", rng.integers(0, 256, (90, 30, 3), np.uint8))
    _png(root / "c_grey.png", rng.integers(0, 256, (64, 80, 1), np.uint8))
    _jpeg(root / "garden" / "d_grey.jpeg", rng.integers(0, 256, (50, 33, 1), np.uint8))
    _png(root / "garden" / "e_small.PNG", rng.integers(0, 256, (16, 20, 3), np.uint8))
    _jpeg(root / "garden" / "roses" / "f_large.JPG", rng.integers(0, 256, (300, 200, 3),
                                                                   np.uint8))
    (root / "notes.txt").write_text("not an image")
    (root / "._a_wide.png").write_bytes(b"macOS metadata, not an image")
    _png(root / ".thumbnails" / "a_wide.png", _striped(8, 8))
    return root


FOUND = ["a_wide.png", "b_tall.jpg", "c_grey.png", "garden/d_grey.jpeg", "garden/e_small.PNG",
         "garden/roses/f_large.JPG"]


def test_the_image_size_is_the_entrys():
    assert get_entry("ddim_flowers").model_config["image_shape"] == (SIZE, SIZE, 3) == (64, 64, 3)
    assert get_entry("ddim_flowers").data.dataset == "flowers"
    assert not has_labels("flowers")


def test_square_crop_keeps_the_central_square_of_wide_and_tall_images():
    for shape in ((40, 100, 3), (100, 40, 3), (64, 64, 3)):
        image = tf.constant(_striped(*shape), tf.float32) / 255.0
        np.testing.assert_allclose(square_crop(image, 16).numpy(), np.ones((16, 16, 3)),
                                   atol=1e-6)


def test_a_folder_is_every_image_under_it_sorted_cropped_and_resized(tmp_path):
    root = _pictures(tmp_path / "pictures")
    assert [path.relative_to(root).as_posix() for path in image_tree(root)] == FOUND
    examples = load_examples("flowers", "all", root)
    images = examples.features["image"]
    assert set(examples.features) == {"image"}
    assert images.shape == (6, SIZE, SIZE, 3) and images.dtype == np.uint8
    assert examples.description == (f"6 of the 6 images found under {root} (all), "
                                    f"center-cropped to {SIZE}x{SIZE}")
    # The wide image's black margins are cropped away; the grey ones come as three equal
    # channels; every image is keras-io's preprocessing of its file.
    assert images[0].min() == 255
    for index in (2, 3):
        np.testing.assert_array_equal(images[index][..., 0], images[index][..., 2])
    for image, name in zip(images, FOUND):
        np.testing.assert_allclose(image, _expected(root / name), atol=1, err_msg=name)


def test_a_folder_splits_by_the_fraction_syntax_over_the_sorted_files(tmp_path):
    root = _pictures(tmp_path / "pictures")
    whole = load_examples("flowers", "all", root).features["image"]
    train = load_examples("flowers", "all[:80%]", root)
    held_out = load_examples("flowers", "all[80%:]", root)
    assert (len(train), len(held_out)) == (5, 1)  # round(4.8) = 5 of the 6
    np.testing.assert_array_equal(np.concatenate([train.features["image"],
                                                  held_out.features["image"]]), whole)
    assert train.description.startswith(f"5 of the 6 images found under {root} (all[:80%])")
    np.testing.assert_array_equal(load_examples("flowers", "all[-2:]", root).features["image"],
                                  whole[-2:])
    with pytest.raises(DataError, match="flowers split 'all\\[6:\\]' holds none of the 6 images"):
        load_examples("flowers", "all[6:]", root)
    with pytest.raises(DataError, match="Unsupported flowers split 'train'; expected 'all'"):
        load_examples("flowers", "train", root)


def test_an_empty_or_missing_folder_is_refused_naming_it(tmp_path):
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    (empty / "readme.txt").write_text("no pictures")
    _png(empty / ".hidden" / "x.png", _striped(8, 8))
    with pytest.raises(DataError) as caught:
        load_examples("flowers", "all", empty)
    message = str(caught.value)
    assert message.startswith(f"{empty} holds no images") and "--data-dir" in message
    assert "subfolders" in message and ".png" in message
    with pytest.raises(DataUnavailableError, match=f"There is no folder {tmp_path / 'missing'}"):
        load_examples("flowers", "all", tmp_path / "missing")


@pytest.mark.parametrize("position", [0, 4, 70])
def test_a_file_that_does_not_decode_is_refused_naming_it(tmp_path, position):
    root = tmp_path / "pictures"
    for index in range(72):
        _png(root / f"{index:03d}.png", np.full((6, 9, 3), index, np.uint8))
    broken = root / f"{position:03d}.png"
    broken.write_bytes(b"\x89PNG but cut off")
    with pytest.raises(DataError) as caught:
        load_examples("flowers", "all", root)
    message = str(caught.value)
    assert message.startswith(f"Could not load the images under {root}: {broken} is not a "
                              "readable JPEG or PNG image")
    # A split without the file loads.
    if position == 70:
        assert len(load_examples("flowers", "all[:70]", root)) == 70


# tensorflow-datasets' splits in the test: how many images each holds. Image k of the pool
# (train, validation, test in order) is grey level 10 * (k + 1) in its central square, black
# around it, in a size of its own, mostly not square.
MOCK_SPLITS = {"train": 4, "validation": 3, "test": 8}


def _mock_pool() -> dict[str, list[bytes]]:
    encoded, k = {}, 0
    for split, count in MOCK_SPLITS.items():
        encoded[split] = []
        for _ in range(count):
            height, width = 30 + 7 * (k % 4), 30 + 11 * (k % 3)
            pixels = _striped(height, width) // 255 * 10 * (k + 1)
            encoded[split].append(tf.io.encode_png(pixels.astype(np.uint8)).numpy())
            k += 1
    return encoded


def _mocked_flowers(broken: int | None = None):
    """tensorflow-datasets' oxford_flowers102 mocked with `_mock_pool`'s images, their
    encoded bytes as a builder gives them undecoded (image `broken` of the test split cut
    short); the test split is read as of unknown length (as tfds' own mocked data is), the
    others of known length."""
    import tensorflow_datasets as tfds

    pool = _mock_pool()
    if broken is not None:
        pool["test"][broken] = pool["test"][broken][:40]

    def as_dataset(builder, split, decoders=None, read_config=None, **kwargs):
        assert builder.name == "oxford_flowers102"
        assert isinstance(decoders["image"], tfds.decode.SkipDecoding)
        images = pool[str(split)]
        dataset = tf.data.Dataset.from_tensor_slices(
            {"image": images, "label": np.arange(len(images)), "file_name": ["x"] * len(images)})
        return dataset.filter(lambda example: True) if str(split) == "test" else dataset

    return tfds.testing.mock_data(as_dataset_fn=as_dataset)


def test_tensorflow_datasets_flowers_are_pooled_cropped_resized_and_split_80_20(tmp_path,
                                                                               monkeypatch):
    go_offline(monkeypatch, tmp_path)  # mocked data must not need the network
    with _mocked_flowers():
        train = load_examples("flowers", "all[:80%]")
        held_out = load_examples("flowers", "all[80%:]")
        tail = load_examples("flowers", "all[-2:]")
    total = sum(MOCK_SPLITS.values())
    assert (len(train), len(held_out), len(tail)) == (12, 3, 2)  # round(0.8 * 15) = 12
    for examples in (train, held_out):
        assert set(examples.features) == {"image"}
        assert examples.features["image"].shape[1:] == (SIZE, SIZE, 3)
        assert examples.features["image"].dtype == np.uint8
    assert train.description == (f"12 Oxford Flowers 102 images (all[:80%] of the {total} of "
                                 "tensorflow-datasets' train, validation and test splits), "
                                 f"center-cropped to {SIZE}x{SIZE}")
    # Each image is its central square alone, one grey level, in pool order: the first 80% are
    # train, validation and the head of test, the last 20% the rest of test, disjoint.
    levels = [10 * (k + 1) for k in range(total)]
    for examples, expected in ((train, levels[:12]), (held_out, levels[12:]),
                               (tail, levels[-2:])):
        images = examples.features["image"]
        assert [int(image.min()) for image in images] == expected
        assert [int(image.max()) for image in images] == expected
    with _mocked_flowers(), pytest.raises(DataError, match="holds none of the 15 images"):
        load_examples("flowers", "all[15:]")
    with _mocked_flowers(broken=6), pytest.raises(DataError) as caught:  # pool image 13
        load_examples("flowers", "all[80%:]")
    assert str(caught.value).startswith("tensorflow-datasets' copy of oxford_flowers102 holds "
                                        "an image that does not decode, among images 12 to 14 ")
    with _mocked_flowers(broken=6):
        assert len(load_examples("flowers", "all[:80%]")) == 12
    assert not (tmp_path / "keras").exists()  # nothing written beside tensorflow-datasets


def test_tensorflow_datasets_random_mock_images_become_64_px_squares(tmp_path, monkeypatch):
    import tensorflow_datasets as tfds

    go_offline(monkeypatch, tmp_path)
    with tfds.testing.mock_data(num_examples=3):  # random images of random sizes, each split
        whole = load_examples("flowers", "all")
        builder = tfds.builder("oxford_flowers102")
        encoded = [example["image"] for example in tfds.as_numpy(builder.as_dataset(
            split="train", decoders={"image": tfds.decode.SkipDecoding()}))]
    assert whole.features["image"].shape == (9, SIZE, SIZE, 3)
    assert any(tf.image.decode_image(data).shape[0] != tf.image.decode_image(data).shape[1]
               for data in encoded)
    for index, data in enumerate(encoded):  # the pool starts with the train split
        path = tmp_path / f"{index}.png"
        path.write_bytes(data)
        np.testing.assert_allclose(whole.features["image"][index], _expected(path), atol=1)


def test_flowers_offline_names_data_dir_and_writes_nothing(tmp_path, monkeypatch):
    go_offline(monkeypatch, tmp_path)
    with pytest.raises(DataUnavailableError) as caught:
        load_examples("flowers", "all[:80%]")
    message = str(caught.value)
    assert message.startswith("Could not load Oxford Flowers 102: tensorflow-datasets could "
                              "not prepare 'oxford_flowers102'")
    assert "no network" in message and "--data-dir FOLDER, a folder of images" in message
    assert not (tmp_path / "keras").exists()


def test_ddim_flowers_trains_on_a_folder_of_pictures_and_exports(tmp_path, capsys,
                                                                 monkeypatch):
    # The family's per-epoch preview and its plots of the export sample thousands of 64 px
    # images, minutes on a loaded CPU; test_every_entry draws them for this entry. Here they
    # are blanks: what is tested is the folder's images reaching training and the export.
    get_family = runtime.get_family
    monkeypatch.setattr(runtime, "get_family", lambda name: dataclasses.replace(
        get_family(name), preview=lambda model, held_out, seed: np.zeros((2, 2, 3)),
        plots=lambda exported, held_out, folder: []))
    root = _pictures(tmp_path / "pictures")
    exported = tmp_path / "exported"
    status = main("ddim_flowers", ["--data-dir", str(root), "--epochs", "1",
                                   "--steps-per-epoch", "1", "--batch-size", "2",
                                   "--block-depth", "1", "--out", str(tmp_path / "run"),
                                   "--export-dir", str(exported)])
    printed = capsys.readouterr()
    assert status == 0, printed.err
    # The entry's own splits: the first 80% of the sorted files, the last 20% held out.
    assert (f"[zoo] training ddim_flowers on 5 of the 6 images found under {root} (all[:80%]), "
            f"center-cropped to {SIZE}x{SIZE}: epoch 1 of 1, 1 step of 2 examples each"
            in printed.err)
    model = zoo.load(exported / "ddim_flowers" / "1")
    training = model.metadata["training"]
    assert (training["train_split"], training["train_examples"]) == ("all[:80%]", 5)
    assert "--data-dir" in training["command"]
    samples = model.sample(count=2, seed=0, steps=2)
    assert samples.shape == (2, SIZE, SIZE, 3) and 0 <= samples.min() <= samples.max() <= 1


def test_a_folder_with_pictures_added_is_other_data_and_a_moved_one_the_same(tmp_path):
    """What `zoo train` compares before resuming a run (`data_fingerprint`): adding
    pictures to a --data-dir changes the 80% it trains on and the 20% it holds out."""
    import shutil

    from zoo.data.examples import Examples
    from zoo.runtime.train import data_fingerprint

    root = _pictures(tmp_path / "pictures")
    before = [data_fingerprint(load_examples("flowers", split, root))
              for split in ("all[:80%]", "all[80%:]")]
    moved = shutil.copytree(root, tmp_path / "elsewhere")
    assert [data_fingerprint(load_examples("flowers", split, moved))
            for split in ("all[:80%]", "all[80%:]")] == before
    _png(root / "zz_added.png", np.full((30, 30, 3), 90, np.uint8))
    after = [data_fingerprint(load_examples("flowers", split, root))
             for split in ("all[:80%]", "all[80%:]")]
    assert after[0] != before[0] and after[1] != before[1]
    # Examples read from files as the stream runs: their paths relative to the files'
    # folder and their sizes.
    files = sorted(str(path) for path in image_tree(moved))

    def by_path(paths):
        return data_fingerprint(Examples({"image": np.array(paths)}, "files",
                                         read=lambda batch: batch))

    assert by_path(files) == by_path([str(path) for path in sorted(image_tree(root))
                                      if path.name != "zz_added.png"])
    Path(files[0]).write_bytes(Path(files[0]).read_bytes() + b"\0")
    assert by_path(files) != by_path([str(path) for path in sorted(image_tree(root))
                                      if path.name != "zz_added.png"])


def test_the_help_says_any_folder_of_pictures_will_do(capsys):
    from zoo.runtime.cli import parse_args

    with pytest.raises(SystemExit):
        parse_args(get_entry("ddim_flowers"), ["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--data-dir DATA_DIR any folder of your own pictures (JPEG, PNG or BMP" in text
    assert "(default: all[:80%])" in text and "test[:8000]" not in text
