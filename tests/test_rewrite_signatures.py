"""rewrite_signatures: an export made before the current signatures gets them from its own
weights, with the same outputs, the same variables files and the rest of its zoo.json; a
failure leaves the old version as it was. And the shipped exports carry the current ones."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import zoo
import zoo.export
import zoo.rewrite_signatures
from zoo.export import export_model, record_evaluation
from zoo.export_format import METADATA_FILE, file_manifest, sha256_of, write_metadata
from zoo.outliers import QUANTILES_KEY, quantile_record
from zoo.rewrite_signatures import rewrite_signatures
from zoo.families import get_family
from zoo.images import tile, to_uint8
from zoo.registry import get_entry
from helpers import REPO
from serving_exports import png

ARRAY_SIGNATURES = ["reconstruct", "encode", "decode", "sample", "score"]


@pytest.fixture(scope="module")
def old_export(tmp_path_factory) -> Path:
    """A small vae_mnist exported as before the image-bytes signatures: the array ones only."""
    family = get_family("vae")
    earlier = dataclasses.replace(family, signatures=lambda model: [
        signature for signature in family.signatures(model)
        if signature.name in ARRAY_SIGNATURES])
    patch = pytest.MonkeyPatch()
    patch.setattr(zoo.export, "get_family", lambda name: earlier)
    try:
        version = export_model(zoo.build("vae_mnist", latent_dim=2), get_entry("vae_mnist"),
                               tmp_path_factory.mktemp("exported"), {"training": {"epochs": 3}})
    finally:
        patch.undo()
    record_evaluation(version, "likelihood", {"nats": 99.5})
    # Quantiles of the score signature the rewrite leaves as it is: they stay (zoo.outliers).
    metadata = json.loads((version / METADATA_FILE).read_text())
    write_metadata(version, metadata | {QUANTILES_KEY: quantile_record(
        {"complexity_corrected": np.arange(200.0), "negative_elbo": np.arange(200.0)},
        dataset="mnist", split="test")})
    return version


@pytest.fixture
def copy(old_export, tmp_path) -> Path:
    import shutil

    return Path(shutil.copytree(old_export, tmp_path / "vae_mnist" / "1"))


def _files(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): sha256_of(path)
            for path in sorted(folder.rglob("*")) if path.is_file()}


def _outputs(folder: Path) -> dict[str, object]:
    """Every array signature on fixed inputs, through zoo.load and the v1 session loader."""
    rng = np.random.default_rng(0)
    images = (rng.random((3, 28, 28, 1)) > 0.5).astype("float32")
    latent = rng.normal(size=(3, 2)).astype("float32")
    loaded = zoo.load(folder)
    outputs = {"reconstruct": loaded.reconstruct(images), "encode": loaded.encode(images),
               "decode": loaded.decode(latent), "sample": loaded.sample(count=4, seed=2),
               "score": loaded.score(images)}
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        meta_graph = tf.compat.v1.saved_model.loader.load(session, ["serve"], str(folder))
        default = meta_graph.signature_def["serving_default"]
        outputs["session"] = session.run(default.outputs["reconstructions"].name,
                                         {default.inputs["images"].name: images})
    return outputs


def test_a_rewrite_adds_the_current_signatures_and_keeps_outputs_files_and_metadata(copy):
    before, files, metadata = _outputs(copy), _files(copy), zoo.load(copy).metadata
    assert [data["name"] for data in metadata["signatures"]] == ARRAY_SIGNATURES

    assert rewrite_signatures(copy) == copy
    rewritten = zoo.load(copy)  # checks every file against the new record
    assert list(rewritten.signatures) == ARRAY_SIGNATURES + ["sample_png"]
    after = _outputs(copy)
    for name, value in before.items():
        if isinstance(value, dict):
            for key in value:
                np.testing.assert_array_equal(after[name][key], value[key])
        else:
            np.testing.assert_array_equal(after[name], value)
    grid = tf.io.decode_png(rewritten.sample_png(count=4, seed=2)).numpy()
    np.testing.assert_array_equal(grid, to_uint8(tile(before["sample"])))
    # The weights stay byte for byte; only the graph, its fingerprint and zoo.json change.
    changed = {path for path in _files(copy) if _files(copy)[path] != files.get(path)}
    assert changed == {"saved_model.pb", "fingerprint.pb", METADATA_FILE}
    kept = {key: value for key, value in metadata.items()
            if key not in ("signatures", "files")}
    assert {key: rewritten.metadata[key] for key in kept} == kept
    assert rewritten.metadata["evaluation"] == {"likelihood": {"nats": 99.5}}
    assert list(rewritten.metadata) == list(metadata)  # same keys, same order
    assert rewritten.metadata["files"] == file_manifest(copy)
    assert [path.name for path in copy.parent.iterdir()] == ["1"]  # no staging left


def test_a_failed_rewrite_leaves_the_old_version_as_it_was(copy, monkeypatch):
    files = _files(copy)

    def crash(staging, folder):
        raise OSError("disk full")

    monkeypatch.setattr(zoo.rewrite_signatures, "_swap_into_place", crash)
    with pytest.raises(OSError, match="disk full"):
        rewrite_signatures(copy)
    assert _files(copy) == files
    assert [path.name for path in copy.parent.iterdir()] == ["1"]


def test_without_an_atomic_exchange_the_rewrite_renames_twice(copy, monkeypatch):
    monkeypatch.setattr(zoo.rewrite_signatures, "_exchange", lambda first, second: False)
    rewrite_signatures(copy)
    assert "sample_png" in zoo.load(copy).signatures
    assert [path.name for path in copy.parent.iterdir()] == ["1"]


SHIPPED = sorted((REPO / "exported").glob("*/[0-9]*"))


@pytest.mark.parametrize("folder", SHIPPED,
                         ids=lambda folder: f"{folder.parent.name}/{folder.name}")
def test_the_shipped_exports_declare_their_familys_current_signatures(folder):
    metadata = json.loads((folder / METADATA_FILE).read_text())
    family = get_family(metadata["family"])
    model = family.model_class.from_config(metadata["model_config"])
    assert metadata["signatures"] == [signature.to_json() for signature in family.signatures(model)]


def test_the_shipped_bytes_signatures_serve_in_the_session_loader():
    translator, generator = zoo.load("pix2pix_mnist_inpaint"), zoo.load("vae_mnist")
    size = translator.metadata["model_config"]["image_size"]
    pixels = np.random.default_rng(0).integers(0, 256, (2, size, size, 1), np.uint8)
    expected = {"pix2pix_mnist_inpaint": to_uint8(translator.translate(pixels / np.float32(255))),
                "vae_mnist": to_uint8(tile(generator.sample(count=9, seed=0)))}
    feeds = {"pix2pix_mnist_inpaint": ("translate_bytes",
                                       {"image_bytes": [png(image) for image in pixels]}),
             "vae_mnist": ("sample_png", {"count": 9, "seed": 0})}
    for name, (signature, feed) in feeds.items():
        with tf.Graph().as_default(), tf.compat.v1.Session() as session:
            meta_graph = tf.compat.v1.saved_model.loader.load(
                session, ["serve"], str(zoo.load(name).path))
            declared = meta_graph.signature_def[signature]
            (output, info), = declared.outputs.items()
            served = session.run(info.name, {declared.inputs[key].name: value
                                             for key, value in feed.items()})
        pngs = [served] if isinstance(served, bytes) else list(served)
        decoded = np.stack([tf.io.decode_png(data).numpy() for data in pngs])
        np.testing.assert_array_equal(decoded, expected[name].reshape(decoded.shape))
