"""pix2pix exports: translate equals the in-memory generator, checks its inputs in the graph,
serves through the v1 session loader, is seeded with test-time dropout; and the plots."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.export_format import METADATA_FILE
from zoo.families.pix2pix import Pix2Pix, plots, preview, signatures
from zoo.signature_graphs import serving_function

TINY = {"image_size": 16, "input_channels": 1, "output_channels": 3, "filters": 4,
        "patch_layers": 1, "seed": 0}


def _write(model: Pix2Pix, folder: Path) -> Path:
    """The SavedModel as `zoo.export.write_saved_model` writes it, with a `zoo.json` that
    lets `zoo.load` read it."""
    archive = keras.export.ExportArchive()
    archive.track(model)
    declared = signatures(model)
    for signature in declared:
        archive.add_endpoint(signature.name, serving_function(signature))
    archive.write_out(str(folder), verbose=False)
    metadata = {"entry": "pix2pix_test", "family": "pix2pix", "model_config": model.get_config(),
                "serving_default": declared[0].name,
                "signatures": [signature.to_json() for signature in declared]}
    (folder / METADATA_FILE).write_text(json.dumps(metadata))
    return folder


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    root = tmp_path_factory.mktemp("exported")
    deterministic = Pix2Pix(**TINY)
    noisy = Pix2Pix(**TINY, test_time_dropout=True)
    noisy.set_weights(deterministic.get_weights())
    return {name: (model, _write(model, root / name))
            for name, model in (("deterministic", deterministic), ("noisy", noisy))}


def _images(count: int, channels: int = 1, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 1, (count, 16, 16, channels)).astype("float32")


def _expected(model: Pix2Pix, images: np.ndarray, seed: int | None = None) -> np.ndarray:
    """The in-memory model's translation, mapped from [-1, 1] to [0, 1]."""
    translated = model.translate(images * 2.0 - 1.0, seed).numpy()
    return np.clip((translated + 1.0) / 2.0, 0.0, 1.0)


def test_translate_equals_the_in_memory_generator(exports):
    model, folder = exports["deterministic"]
    loaded = tf.saved_model.load(str(folder))
    assert set(loaded.signatures) == {"translate", "translate_bytes", "serving_default"}
    images = _images(3)
    translated = loaded.signatures["translate"](images=tf.constant(images))["images"].numpy()
    assert translated.shape == (3, 16, 16, 3)
    np.testing.assert_allclose(translated, _expected(model, images), atol=1e-6)
    np.testing.assert_array_equal(
        loaded.signatures["serving_default"](images=tf.constant(images))["images"], translated)


@pytest.mark.parametrize("images, message", [
    (np.full((1, 16, 16, 1), 1.5, np.float32),
     r"images.*: input images to translate, .* with values in \[0.0, 1.0\]"),
    (np.zeros((0, 16, 16, 1), np.float32), "got an empty batch"),
])
def test_the_graph_refuses_images_outside_0_1_and_empty_batches(exports, images, message):
    loaded = tf.saved_model.load(str(exports["deterministic"][1]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        loaded.signatures["translate"](images=tf.constant(images))


@pytest.mark.parametrize("name, inputs", [("deterministic", {"images"}),
                                          ("noisy", {"images", "seed"})])
def test_the_v1_session_loader_serves_translate(exports, name, inputs):
    model, folder = exports[name]
    images = _images(2)
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        meta_graph = tf.compat.v1.saved_model.loader.load(session, ["serve"], str(folder))
        for key in ("translate", "serving_default"):
            declared = meta_graph.signature_def[key]
            assert set(declared.inputs) == inputs and set(declared.outputs) == {"images"}
        default = meta_graph.signature_def["serving_default"]
        feed = {default.inputs["images"].name: images}
        if "seed" in inputs:
            feed[default.inputs["seed"].name] = np.int64(4)
        served = session.run(default.outputs["images"].name, feed)
    np.testing.assert_allclose(served, _expected(model, images, 4 if "seed" in inputs else None),
                               atol=1e-6)


def test_test_time_dropout_is_seeded(exports):
    model, folder = exports["noisy"]
    translate = tf.saved_model.load(str(folder)).signatures["translate"]
    images = tf.constant(_images(2))
    first = translate(images=images, seed=tf.constant(7, tf.int64))["images"].numpy()
    np.testing.assert_allclose(first, _expected(model, images.numpy(), 7), atol=1e-6)
    np.testing.assert_array_equal(
        translate(images=images, seed=tf.constant(7, tf.int64))["images"], first)
    assert not np.allclose(translate(images=images, seed=tf.constant(8, tf.int64))["images"],
                           first)
    # Dropout is what the seed draws: the deterministic export of the same weights differs.
    deterministic = exports["deterministic"][0]
    assert not np.allclose(_expected(deterministic, images.numpy()), first)


def _cells(grid: np.ndarray, rows: int, size: int = 16) -> np.ndarray:
    """The (rows, 3, size, size, C) images of an input | output | target grid."""
    return np.stack([np.stack([grid[row * (size + 1):row * (size + 1) + size,
                                    column * (size + 1):column * (size + 1) + size]
                               for column in range(3)]) for row in range(rows)])


@pytest.mark.parametrize("name, count", [("deterministic", 3), ("noisy", 10)])
def test_plots_write_a_row_of_input_output_and_target_per_example(exports, tmp_path, name,
                                                                  count):
    model, folder = exports[name]
    held_out = {"input": _images(count), "target": _images(count, channels=3, seed=1)}
    loaded = zoo.load(folder)
    written = plots(loaded, held_out, tmp_path / "plots", seed=3)
    assert [path.name for path in written] == ["translations.png"]
    grid = tf.io.decode_png(written[0].read_bytes()).numpy()
    rows = min(count, 8)
    assert grid.shape == (rows * 17 - 1, 3 * 17 - 1, 3)
    cells = _cells(grid, rows)
    # Greyscale inputs shown in grey, beside the export's colour outputs and the targets.
    pixels = np.round(held_out["input"][:rows] * 255)
    for channel in range(3):
        np.testing.assert_array_equal(cells[:, 0, ..., channel], pixels[..., 0])
    seed = {"seed": 3} if model.test_time_dropout else {}
    outputs = loaded.translate(images=held_out["input"][:rows], **seed)
    np.testing.assert_allclose(cells[:, 1], np.round(outputs * 255), atol=1)
    np.testing.assert_array_equal(cells[:, 2], np.round(held_out["target"][:rows] * 255))
    assert not list((tmp_path / "plots").glob(".*"))  # no temporary files left


@pytest.mark.parametrize("name", ["deterministic", "noisy"])
def test_the_preview_shows_the_in_memory_translations(exports, name):
    model = exports[name][0]
    held_out = {"input": _images(2), "target": _images(2, channels=3, seed=1)}
    grid = preview(model, held_out, seed=5)
    assert grid.shape == (2 * 17 - 1, 3 * 17 - 1, 3)
    cells = _cells(grid, 2)
    np.testing.assert_array_equal(cells[:, 0], np.repeat(held_out["input"], 3, axis=-1))
    seed = 5 if model.test_time_dropout else None
    np.testing.assert_allclose(cells[:, 1], _expected(model, held_out["input"], seed),
                               atol=1e-6)
    np.testing.assert_array_equal(cells[:, 2], held_out["target"])
