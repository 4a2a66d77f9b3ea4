"""The on-disk format of an export: `<root>/<entry>/<version>/`, a SavedModel and its `zoo.json`.

A version folder holds the SavedModel TF Serving loads (`saved_model.pb`,
`fingerprint.pb`, `variables/`) and `zoo.json`, the zoo's record of it:

- `entry`, `family`, `description`: what the model is;
- `model_config`: the model's `get_config()`, to rebuild it;
- `signatures`, `serving_default`: the declarations of its serving signatures
  (`zoo.signatures`), the first of them the default;
- `weights`: a name for each SavedModel variable by its place in the model
  (`weight_paths`), so the weights go back to the right network;
- `files`: the size and SHA-256 of every other file (`file_manifest`), so a
  truncated, deleted or altered file is reported by name;
- anything else the exporter adds: how it was trained (`training`), the
  benchmarks' figures (`evaluation`).

`zoo.export` writes this format and `zoo.loading` reads it; both take the names,
the record and the checks from here.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo.errors import DamagedExportError
from zoo.images import write_atomically
from zoo.registry import ENTRIES
from zoo.signatures import Signature

if TYPE_CHECKING:
    import keras

METADATA_FILE = "zoo.json"
"""The zoo's record of an export, beside its SavedModel in the version folder."""

MANIFEST_KEY = "files"
"""The key of `zoo.json` that records each file of the version folder: `{path: {bytes, sha256}}`."""

WEIGHTS_KEY = "weights"
"""The key of `zoo.json` that names each exported variable by its place in the model."""

REQUIRED_METADATA = {"entry": str, "family": str, "model_config": dict,
                     "serving_default": str, "signatures": list}
"""The keys of `zoo.json` that loading needs, with their JSON types."""


def sha256_of(path: str | Path) -> str:
    """The SHA-256 of a file's contents, as hex; read in chunks, so large files are fine."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_manifest(folder: str | Path) -> dict[str, dict[str, Any]]:
    """Size and SHA-256 of every file in an export's version folder except `zoo.json`.

    `zoo.load` compares the folder against this record, so a truncated, deleted or
    altered file is reported by name instead of failing inside TensorFlow. `zoo.json`
    itself is left out: it holds the record, and `zoo.export.record_evaluation` edits it later.

    Args:
        folder: a version folder (or a staging folder about to become one).

    Returns:
        `{path relative to folder, with '/': {"bytes": size, "sha256": hex digest}}`,
        sorted by path.

    Example:
        >>> from zoo.paths import exported_root
        >>> folder = exported_root() / "vae_mnist" / "1"
        >>> manifest = file_manifest(folder)
        >>> sorted(manifest)[:2]
        ['fingerprint.pb', 'saved_model.pb']
        >>> manifest["saved_model.pb"]["bytes"] == (folder / "saved_model.pb").stat().st_size
        True
    """
    folder = Path(folder)
    manifest = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if relative == METADATA_FILE or not path.is_file():
            continue
        manifest[relative] = {"bytes": path.stat().st_size, "sha256": sha256_of(path)}
    return manifest


def write_metadata(folder: str | Path, metadata: dict[str, Any]) -> Path:
    """Writes an export's `zoo.json`, indented, replacing any old one atomically.

    Args:
        folder: the version folder (or the staging folder about to become one).
        metadata: its JSON-serialisable metadata.

    Returns:
        The path of `zoo.json`.
    """
    path = Path(folder) / METADATA_FILE
    write_atomically(path, (json.dumps(metadata, indent=2) + "\n").encode())
    return path


def read_metadata(folder: Path) -> dict[str, Any]:
    """An export's `zoo.json`, with the keys loading needs checked.

    Args:
        folder: a version folder.

    Returns:
        The metadata as written by `zoo.export.export_model`.

    Raises:
        zoo.errors.DamagedExportError: `zoo.json` is not valid JSON, not an object,
            lacks a required key or has one of the wrong type, or holds a signature
            declaration or file record that does not parse.

    Example:
        >>> from zoo.paths import exported_root
        >>> read_metadata(exported_root() / "vae_mnist" / "1")["serving_default"]
        'reconstruct'
    """
    try:
        metadata = json.loads((folder / METADATA_FILE).read_bytes())
    except (ValueError, UnicodeDecodeError) as error:  # JSONDecodeError is a ValueError
        raise damaged_export(folder, f"{METADATA_FILE} is not valid JSON ({error})") from None
    if not isinstance(metadata, dict):
        raise damaged_export(folder, f"{METADATA_FILE} holds a JSON {type(metadata).__name__}, "
                                     "not an object")
    for key, kind in REQUIRED_METADATA.items():
        if key not in metadata:
            raise damaged_export(folder, f"{METADATA_FILE} has no {key!r}")
        if not isinstance(metadata[key], kind):
            raise damaged_export(folder, f"{METADATA_FILE} has a {type(metadata[key]).__name__} "
                                         f"for {key!r}, not a {kind.__name__}")
    names = []
    for index, data in enumerate(metadata["signatures"]):
        try:
            names.append(Signature.from_json(data).name)
        except ValueError as error:
            raise damaged_export(folder, f"signature declaration {index} in {METADATA_FILE} "
                                         f"does not parse: {error}") from None
    if metadata["serving_default"] not in names:
        raise damaged_export(folder, f"{METADATA_FILE} names serving_default "
                                     f"{metadata['serving_default']!r}, which is not among its "
                                     f"signatures ({', '.join(names)})")
    _check_manifest_format(folder, metadata.get(MANIFEST_KEY))
    return metadata


def _check_manifest_format(folder: Path, manifest: Any) -> None:
    """Raises DamagedExportError unless `manifest` is None or `{relative path: {bytes, sha256}}`."""
    if manifest is None:
        return  # exported before the zoo recorded one
    if isinstance(manifest, dict) and all(
            isinstance(path, str) and not Path(path).is_absolute() and ".." not in Path(path).parts
            and isinstance(record, dict) and type(record.get("bytes")) is int
            and isinstance(record.get("sha256"), str) for path, record in manifest.items()):
        return
    raise damaged_export(folder, f"the {MANIFEST_KEY!r} record in {METADATA_FILE} does not "
                                 'parse; it should map relative paths to {"bytes": size, '
                                 '"sha256": hex}')


def check_files(folder: Path, manifest: dict[str, dict[str, Any]] | None) -> None:
    """Compares a version folder's files with the record its export made.

    Sizes are compared first, since a truncated file is the usual damage and its
    size says so at once; then the SHA-256, which finds altered bytes.

    Args:
        folder: a version folder.
        manifest: its `zoo.json`'s `files` (see `file_manifest`); None for
            exports made before the zoo recorded one, which are not checked.

    Raises:
        zoo.errors.DamagedExportError: a recorded file is missing, or differs in
            size or contents; the message names the file.

    Example:
        >>> from zoo.paths import exported_root
        >>> folder = exported_root() / "vae_mnist" / "1"
        >>> check_files(folder, read_metadata(folder)["files"]) is None
        True
    """
    for relative, record in sorted((manifest or {}).items()):
        path = folder / relative
        if not path.is_file():
            raise damaged_export(folder, f"{relative} is missing")
        size = path.stat().st_size
        if size != record["bytes"]:
            raise damaged_export(folder, f"{relative} is {size} bytes, the export recorded "
                                         f"{record['bytes']}")
    for relative, record in sorted((manifest or {}).items()):
        if sha256_of(folder / relative) != record["sha256"]:
            raise damaged_export(folder, f"{relative} has the recorded size but not the recorded "
                                         "contents (its SHA-256 differs)")


def weight_paths(model: keras.Model) -> list[str]:
    """A name for each of `model.variables`, by where it sits in the model, stable across processes.

    Keras names layers with process-wide counters (`dense_7`), so the same
    architecture built twice gets different variable paths. These names use
    what does not change: the model attribute holding the network, the layer's
    position in it, the layer's class and the variable's own name, e.g.
    `generator/03.BatchNormalization/gamma`; inside a layer made of layers, the
    variable's path within it (`unet/12.MultiHeadAttention/query/kernel`). Two networks of the same shapes
    (CycleGAN's two generators) get different names, so exported weights are
    matched to the right network.

    Example:
        >>> import zoo
        >>> weight_paths(zoo.build("vae_mnist"))[:2]
        ['encoder/01.Conv2D/kernel', 'encoder/01.Conv2D/bias']
    """
    import keras

    owners: dict[int, str] = {}

    def visit(layer: keras.layers.Layer, prefix: str) -> None:
        if isinstance(layer, keras.Model) and hasattr(layer, "layers"):
            for index, child in enumerate(layer.layers):
                visit(child, f"{prefix}/{index:02d}.{type(child).__name__}")
        for variable in layer.variables:
            # The path below the layer's own (counter-numbered) name: the variable's name, or
            # for a sublayer's variable, the sublayer's fixed name and the variable's.
            within = variable.path.split("/", 1)[1] if "/" in variable.path else variable.name
            owners.setdefault(id(variable), f"{prefix}/{within}")

    for attribute, value in vars(model).items():
        if isinstance(value, keras.metrics.Metric):
            continue
        if isinstance(value, keras.layers.Layer):
            visit(value, attribute)
        elif isinstance(value, keras.random.SeedGenerator):
            owners.setdefault(id(value.state), f"{attribute}/state")
    paths = [owners.get(id(variable)) for variable in model.variables]
    if None in paths or len(set(paths)) != len(paths):
        unnamed = [variable.path for variable, path in zip(model.variables, paths) if path is None]
        raise ValueError(f"Cannot name every variable of {type(model).__name__} by its place "
                         f"(unnamed: {unnamed[:3]}); keep networks and seed generators as "
                         "attributes of the model.")
    return paths


def matched_weights(model: Any, recorded: list[str] | None, exported: list[Any]
                    ) -> list[Any] | None:
    """The exported value for each of `model.variables`, matched by place in the model.

    Args:
        model: a freshly built model of the export's architecture.
        recorded: the export's `weights` (`weight_paths` at export, in the
            order of `exported`); None for exports made before the zoo recorded them,
            which are matched by position.
        exported: the SavedModel's variables.

    Returns:
        One exported variable per model variable, or None when a variable has no
        counterpart of its shape.
    """
    if recorded is None:
        sources = list(exported) if len(exported) == len(model.variables) else None
    else:
        by_path = dict(zip(recorded, exported)) if len(recorded) == len(exported) else {}
        sources = [by_path.get(path) for path in weight_paths(model)]
    if sources is None or any(source is None or tuple(source.shape) != tuple(target.shape)
                              for source, target in zip(sources, model.variables)):
        return None
    return sources


def train_command(name: str) -> str:
    """`zoo train <name>` for an entry's name, else with a placeholder: the command that
    trains and exports an entry from any install (a wheel has no recipes/ folder)."""
    return f"zoo train {name if name in ENTRIES else 'ENTRY'}"


def damaged_export(folder: Path, problem: str) -> DamagedExportError:
    """The error for a damaged export: where, what, and how to get a good copy back."""
    return DamagedExportError(
        f"The export in {folder} is damaged: {problem}. Restore the folder from where it came "
        "from (a backup, or a fresh copy of the zoo's exported/ folder for the shipped models), "
        f"or export the model again (`{train_command(folder.parent.name)}`).")
