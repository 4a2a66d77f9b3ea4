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
from zoo.data.tasks import INPAINT_FILL


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
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    for variable in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(variable, "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
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
