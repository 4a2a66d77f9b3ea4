"""The registered data sets: MNIST inpainting pairs and the facades folder, downloaded or local."""

from __future__ import annotations

import functools
import http.server
import io
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from zoo.data import DataUnavailableError, load_examples
from zoo.data import sources
from zoo.data.mnist import load_mnist
from zoo.data.tasks import INPAINT_FILL, RESTYLE_INK, restyle
from zoo.errors import DataError
from helpers import go_offline


def test_inpainting_pairs_blank_the_lower_half_of_the_padded_digit(mnist_idx_dir):
    examples = load_examples("mnist_inpaint", "train[:4]", mnist_idx_dir)
    pair = {name: np.asarray(value) for name, value in
            examples.transform(dict(examples.features)).items()}
    digits = examples.features["image"].astype(np.float32) / 255.0
    assert pair["input"].shape == pair["target"].shape == (4, 32, 32, 1)
    np.testing.assert_allclose(pair["target"][:, 2:30, 2:30], digits, atol=1e-6)
    assert pair["target"][:, :2].max() == 0 and pair["target"][:, :, :2].max() == 0
    np.testing.assert_array_equal(pair["input"][:, :16], pair["target"][:, :16])
    assert np.all(pair["input"][:, 16:] == INPAINT_FILL)
    np.testing.assert_array_equal(pair["label"], examples.features["label"])


def _facades_tree(root: Path, splits=("train", "val", "test")) -> Path:
    for split in splits:
        (root / split).mkdir(parents=True)
        photo = np.zeros((4, 4, 3), np.uint8)
        labels = np.full((4, 4, 3), 255, np.uint8)
        (root / split / "1.jpg").write_bytes(
            tf.io.encode_jpeg(np.concatenate([photo, labels], axis=1)).numpy())
    return root


def test_a_local_facades_folder_translates_label_maps_into_photos(tmp_path):
    examples = load_examples("facades", "test", _facades_tree(tmp_path / "facades"))
    pair = examples.read({"path": tf.constant(examples.features["path"][0])})
    assert float(tf.reduce_mean(pair["input"])) > 0.9   # the label map, right half
    assert float(tf.reduce_mean(pair["target"])) < 0.1  # the photo, left half


def test_a_folder_without_the_split_names_data_dir_and_the_layout(tmp_path):
    root = _facades_tree(tmp_path / "facades", splits=("train",))
    with pytest.raises(DataUnavailableError) as caught:
        load_examples("facades", "val", root)
    message = str(caught.value)
    assert "There is no folder" in message and "--data-dir" in message
    assert "train/, val/ and test/" in message and "\n" not in message


def test_offline_without_data_dir_fails_fast_and_writes_nothing(tmp_path, monkeypatch):
    go_offline(monkeypatch, tmp_path)
    with pytest.raises(DataUnavailableError) as caught:
        load_examples("facades", "train")
    message = str(caught.value)
    assert message.startswith("Could not download the facades data set")
    assert "no network" in message and "--data-dir" in message and "label map" in message
    assert not (tmp_path / "keras" / "datasets").exists()


@pytest.fixture
def archive_server(tmp_path, monkeypatch):
    """A local HTTP server for the facades archive; yields a function that publishes bytes."""
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(sources, "FACADES_URL",
                        f"http://127.0.0.1:{server.server_port}/facades.tar.gz")
    for variable in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))

    def publish(data: bytes) -> None:
        (served / "facades.tar.gz").write_bytes(data)

    yield publish
    server.shutdown()


def _archive(tree: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(tree, arcname="facades")
    return buffer.getvalue()


def test_a_download_is_checked_before_use_and_a_bad_one_never_used(tmp_path, archive_server):
    cache = tmp_path / "keras" / "datasets"
    good = _archive(_facades_tree(tmp_path / "tree"))
    archive_server(good[:len(good) // 2])  # a cut-off download
    with pytest.raises(DataUnavailableError, match="Could not download the facades data set"):
        load_examples("facades", "train")
    assert not (cache / "facades").exists()
    assert not [path for path in cache.iterdir() if path.name.startswith(".facades-")]

    archive_server(_archive(_facades_tree(tmp_path / "partial", splits=("train", "test"))))
    with pytest.raises(DataUnavailableError, match="There is no folder .*val"):
        load_examples("facades", "train")
    assert not (cache / "facades").exists()

    archive_server(good)
    examples = load_examples("facades", "train")
    assert len(examples) == 1 and (cache / "facades" / "val" / "1.jpg").is_file()
    archive_server(b"not served again")  # the checked folder is used from now on
    assert len(load_examples("facades", "test")) == 1


def test_restyling_thickens_inverts_and_tints_the_strokes():
    digit = np.zeros((1, 7, 7, 1), np.uint8)
    digit[0, 3, 1:6, 0] = 255  # a horizontal stroke one pixel thick
    styled = restyle(digit).numpy()
    ink = np.zeros((7, 7), bool)
    ink[2:5, 0:7] = True  # the 3x3 dilation: one pixel more on every side
    np.testing.assert_allclose(styled[0][ink], np.tile(RESTYLE_INK, (ink.sum(), 1)), atol=1e-6)
    np.testing.assert_array_equal(styled[0][~ink], 1.0)  # the page is white
    # Grey levels keep their share of ink, and the result stays in [0, 1].
    half = restyle(np.full((1, 3, 3, 1), 0.5, np.float32)).numpy()
    np.testing.assert_allclose(half[0, 1, 1], 1 - 0.5 * (1 - np.asarray(RESTYLE_INK)), atol=1e-6)


def test_mnist_restyle_is_plain_digits_against_other_digits_restyled(mnist_idx_dir):
    examples = load_examples("mnist_restyle", "train[:10]", mnist_idx_dir)
    plain, styled = examples.domains["a"], examples.domains["b"]
    assert (len(plain), len(styled), len(examples)) == (5, 5, 5)
    digits, labels = load_mnist("train[:10]", mnist_idx_dir)
    np.testing.assert_array_equal(plain.features["label"], labels[:5])
    np.testing.assert_array_equal(styled.features["label"], labels[5:])
    held_out = examples.held_out(5)
    np.testing.assert_allclose(held_out["a"], np.repeat(digits[:5] / 255.0, 3, axis=-1),
                               atol=1e-6)
    np.testing.assert_allclose(held_out["b"], restyle(digits[5:]).numpy(), atol=1e-6)
    with pytest.raises(DataError, match="needs at least two"):
        load_examples("mnist_restyle", "train[:1]", mnist_idx_dir)


def _unpaired_tree(root: Path, count: int = 2) -> Path:
    rng = np.random.default_rng(0)
    for folder in ("trainA", "trainB", "testA", "testB"):
        (root / folder).mkdir(parents=True)
        for index in range(count + (folder == "trainB")):
            pixels = rng.integers(0, 256, (12, 10 + index, 3), np.uint8)
            (root / folder / f"{index}.jpg").write_bytes(tf.io.encode_jpeg(pixels).numpy())
    # The real trainB holds a few single-channel JPEGs.
    grey = rng.integers(0, 256, (12, 12, 1), np.uint8)
    (root / "trainB" / "grey.jpg").write_bytes(tf.io.encode_jpeg(grey).numpy())
    return root


def test_a_local_horse2zebra_folder_gives_horses_as_a_and_zebras_as_b(tmp_path):
    examples = load_examples("horse2zebra", "train", _unpaired_tree(tmp_path / "h2z"))
    assert (len(examples.domains["a"]), len(examples.domains["b"])) == (2, 4)
    held_out = examples.held_out(4, image_size=8)
    assert held_out["a"].shape == (2, 8, 8, 3) and held_out["b"].shape == (4, 8, 8, 3)
    with pytest.raises(DataUnavailableError) as caught:
        load_examples("horse2zebra", "train", tmp_path / "missing")
    message = str(caught.value)
    assert "--data-dir" in message and "trainA/, trainB/, testA/ and testB/" in message


def test_horse2zebra_is_written_once_from_tensorflow_datasets_in_the_authors_layout(
        tmp_path, monkeypatch):
    import tensorflow_datasets as tfds

    go_offline(monkeypatch, tmp_path)  # mocked data must not need the network
    with tfds.testing.mock_data(num_examples=3):
        examples = load_examples("horse2zebra", "train")
    root = tmp_path / "keras" / "datasets" / "horse2zebra"
    assert sorted(path.name for path in root.parent.iterdir()) == ["horse2zebra"]  # no staging
    assert sorted(path.name for path in root.iterdir()) == ["testA", "testB", "trainA", "trainB"]
    assert all(len(list((root / split).iterdir())) == 3 for split in ("trainA", "testB"))
    assert (len(examples.domains["a"]), len(examples.domains["b"])) == (3, 3)
    # Mocked images come in random sizes; the reader resizes them to the model's.
    assert examples.held_out(3, image_size=8)["b"].shape == (3, 8, 8, 3)
    # Once written, the folder is used without tensorflow-datasets.
    assert len(load_examples("horse2zebra", "test").domains["a"]) == 3


def test_horse2zebra_offline_names_data_dir_and_the_layout_and_writes_nothing(
        tmp_path, monkeypatch):
    go_offline(monkeypatch, tmp_path)
    with pytest.raises(DataUnavailableError) as caught:
        load_examples("horse2zebra", "train")
    message = str(caught.value)
    assert message.startswith("Could not load horse2zebra") and "no network" in message
    assert "--data-dir" in message and "trainA/, trainB/, testA/ and testB/" in message
    assert not (tmp_path / "keras" / "datasets").exists()
