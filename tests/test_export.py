"""What export_model leaves behind: staging folders of killed exports are cleaned up, and a
damaged export is reported by folder and file instead of failing inside TensorFlow."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import zoo
from zoo.errors import DamagedExportError, ExportError
from zoo.export import export_model, record_evaluation
from zoo.export_format import MANIFEST_KEY, METADATA_FILE, file_manifest
from zoo.paths import STAGING_PATTERN
from zoo.registry import get_entry

DATA = "variables/variables.data-00000-of-00001"
ADVICE = "or export the model again"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A small untrained vae_mnist, exported once; tests damage copies of it."""
    model = zoo.build("vae_mnist", latent_dim=2)
    return model, export_model(model, get_entry("vae_mnist"), tmp_path_factory.mktemp("exported"))


@pytest.fixture
def copy(exported, tmp_path):
    """A copy of the export's version folder that a test may damage."""
    return Path(shutil.copytree(exported[1], tmp_path / "vae_mnist" / "1"))


def dead_pid() -> int:
    """The id of a process of this host that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def plant_staging_folders(entry_dir: Path) -> dict[str, Path]:
    host = socket.gethostname()
    names = {"dead": f".export-{dead_pid()}@{host}.abcd1234",
             "live": f".export-{os.getpid()}@{host}.efgh5678",
             "other host": f".export-{dead_pid()}@not-{host}.ijkl9012",
             "old naming": ".export-mnop3456",
             "unrelated": ".cache"}
    folders = {what: entry_dir / name for what, name in names.items()}
    for folder in folders.values():
        (folder / "variables").mkdir(parents=True)
    return folders


def test_staging_folders_are_named_for_their_process_and_host(exported, tmp_path, monkeypatch):
    seen = []

    def fail(model, family, folder):
        seen.append(folder.name)
        raise OSError("disk full")

    monkeypatch.setattr("zoo.export.write_saved_model", fail)
    with pytest.raises(OSError, match="disk full"):
        export_model(exported[0], get_entry("vae_mnist"), tmp_path)
    match = STAGING_PATTERN.match(seen[0])
    assert (int(match["pid"]), match["host"]) == (os.getpid(), socket.gethostname())
    assert list((tmp_path / "vae_mnist").iterdir()) == []


def test_export_and_load_remove_only_staging_folders_of_dead_processes_here(
        exported, tmp_path, monkeypatch):
    entry_dir = tmp_path / "vae_mnist"
    folders = plant_staging_folders(entry_dir)
    version = export_model(exported[0], get_entry("vae_mnist"), tmp_path)
    assert not folders["dead"].exists()
    kept = {what for what, folder in folders.items() if folder.is_dir()}
    assert kept == {"live", "other host", "old naming", "unrelated"}
    folders["dead"].mkdir()
    assert zoo.load(entry_dir).path == version
    assert not folders["dead"].exists()
    folders["dead"].mkdir()
    monkeypatch.setenv("ZOO_EXPORTED_DIR", str(tmp_path))
    assert zoo.load("vae_mnist").path == version
    assert {path.name for path in entry_dir.iterdir()} == \
        {"1"} | {folders[what].name for what in kept}


def truncate(path: Path, size: int) -> None:
    with open(path, "r+b") as file:
        file.truncate(size)


def flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def edit_metadata(folder: Path, change) -> None:
    path = folder / METADATA_FILE
    metadata = json.loads(path.read_text())
    change(metadata)
    path.write_text(json.dumps(metadata))


DAMAGE = {
    "truncated zoo.json": (
        lambda folder: truncate(folder / METADATA_FILE, 100),
        r"zoo.json is not valid JSON \("),
    "empty object": (
        lambda folder: (folder / METADATA_FILE).write_text("{}"),
        r"zoo.json has no 'entry'"),
    "a list": (
        lambda folder: (folder / METADATA_FILE).write_text("[]"),
        r"zoo.json holds a JSON list, not an object"),
    "ill-typed signatures": (
        lambda folder: edit_metadata(folder, lambda data: data.update(signatures={})),
        r"zoo.json has a dict for 'signatures', not a list"),
    "bad declaration": (
        lambda folder: edit_metadata(
            folder, lambda data: data["signatures"][2]["inputs"][0].pop("shape")),
        r"signature declaration 2 in zoo.json does not parse: input 0: missing 'shape'"),
    "unknown serving_default": (
        lambda folder: edit_metadata(folder, lambda data: data.update(serving_default="x")),
        r"zoo.json names serving_default 'x', which is not among its signatures"),
    "truncated data": (
        lambda folder: truncate(folder / DATA, 1200),
        rf"{DATA} is 1200 bytes, the export recorded \d+"),
    "truncated saved_model.pb": (
        lambda folder: truncate(folder / "saved_model.pb", 1000),
        r"saved_model.pb is 1000 bytes, the export recorded \d+"),
    "deleted index": (
        lambda folder: (folder / "variables/variables.index").unlink(),
        r"variables/variables.index is missing"),
    "flipped byte": (
        lambda folder: flip_one_byte(folder / DATA),
        rf"{DATA} has the recorded size but not the recorded contents"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_export_names_its_folder_and_file(copy, damage):
    make, problem = DAMAGE[damage]
    make(copy)
    with pytest.raises(DamagedExportError) as raised:
        zoo.load(copy)
    message = str(raised.value)
    assert message.startswith(f"The export in {copy} is damaged: ")
    assert ADVICE in message
    assert raised.match(problem)


def test_an_export_without_a_file_record_still_loads(exported, copy):
    model, _ = exported
    edit_metadata(copy, lambda data: data.pop(MANIFEST_KEY))
    latent = np.array([[0.5, -1.0]], np.float32)
    np.testing.assert_allclose(zoo.load(copy).decode(latent), model.decode(latent), atol=1e-6)


@pytest.mark.parametrize("damage, cause", [
    ("truncated data", r"IndexError: Read less bytes than requested"),
    ("truncated saved_model.pb", r"OSError: Cannot parse file"),
    ("deleted index", r"FileNotFoundError: Unsuccessful TensorSliceReader"),
])
def test_without_a_file_record_tensorflow_failures_still_name_the_folder(copy, damage, cause):
    edit_metadata(copy, lambda data: data.pop(MANIFEST_KEY))
    DAMAGE[damage][0](copy)
    with pytest.raises(DamagedExportError) as raised:
        zoo.load(copy)
    message = str(raised.value)
    assert message.startswith(f"The export in {copy} is damaged: TensorFlow cannot load its "
                              "SavedModel (")
    assert ADVICE in message and "\n" not in message
    assert raised.match(cause)


def test_the_file_record_covers_every_file_but_zoo_json_and_survives_evaluations(copy):
    recorded = json.loads((copy / METADATA_FILE).read_text())[MANIFEST_KEY]
    assert {"saved_model.pb", "fingerprint.pb", DATA, "variables/variables.index"} <= set(recorded)
    assert recorded == file_manifest(copy) and METADATA_FILE not in recorded
    record_evaluation(copy, "likelihood", {"nats": 80.0})
    loaded = zoo.load(copy)
    assert loaded.metadata["evaluation"] == {"likelihood": {"nats": 80.0}}
    assert loaded.metadata[MANIFEST_KEY] == recorded


SHIPPED = sorted((Path(zoo.__file__).resolve().parent.parent / "exported").glob("*/[0-9]*"))


@pytest.mark.parametrize("folder", SHIPPED,
                         ids=lambda folder: f"{folder.parent.name}/{folder.name}")
def test_the_shipped_exports_record_their_files(folder):
    assert json.loads((folder / METADATA_FILE).read_text())[MANIFEST_KEY] == file_manifest(folder)


def test_a_model_with_non_finite_weights_is_never_exported(tmp_path):
    model = zoo.build("vae_mnist", latent_dim=2)
    kernel = model.decoder.get_layer("logits").kernel
    kernel.assign(np.full(kernel.shape, np.nan, "float32"))
    with pytest.raises(ExportError, match=r"Refusing to export vae_mnist: 1 weight\(s\) hold NaN "
                                          r"or infinite values \(.*logits/kernel"):
        export_model(model, get_entry("vae_mnist"), tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("distributed", [False, True], ids=["one device", "mirrored"])
def test_each_variable_is_saved_once(distributed, mirrored, tmp_path):
    import tensorflow as tf

    strategy = mirrored if distributed else tf.distribute.get_strategy()
    with strategy.scope():
        model = zoo.build("vae_mnist", latent_dim=2)
    version = export_model(model, get_entry("vae_mnist"), tmp_path)
    saved = [name for name, _ in tf.train.list_variables(str(version / "variables" / "variables"))
             if name != "_CHECKPOINTABLE_OBJECT_GRAPH"]
    assert len(saved) == len(model.variables)
    data_bytes = sum(path.stat().st_size for path in (version / "variables").glob("*.data-*"))
    assert data_bytes < 1.05 * sum(np.asarray(variable).nbytes for variable in model.variables)
