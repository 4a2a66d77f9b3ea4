"""Exporting a trained model as a TF Serving SavedModel: `<root>/<entry>/<version>/`."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import keras

from zoo.families import get_family
from zoo.registry import Entry

METADATA_FILE = "zoo.json"


def record_evaluation(folder: str | Path, key: str, figures: dict[str, Any]) -> Path:
    """Stores a benchmark's figures in an export's metadata, under `evaluation[key]`.

    The rest of `zoo.json` is kept; the file is replaced atomically, so a crash
    leaves the old metadata, never a half-written one.

    Args:
        folder: the export's version folder.
        key: which benchmark the figures come from, e.g. `"gan_quality"`.
        figures: JSON-serialisable figures.

    Returns:
        The path of the updated `zoo.json`.

    Example:
        >>> record_evaluation("exported/dcgan_mnist/1", "gan_quality", {"frechet_distance": 9.1})
        PosixPath('exported/dcgan_mnist/1/zoo.json')
    """
    from zoo.images import write_atomically

    path = Path(folder) / METADATA_FILE
    metadata = json.loads(path.read_text())
    evaluation = metadata.get("evaluation", {})
    evaluation[key] = figures
    metadata["evaluation"] = evaluation
    write_atomically(path, (json.dumps(metadata, indent=2) + "\n").encode())
    return path


def write_saved_model(model: keras.Model, family_name: str, folder: Path) -> list[dict]:
    """Writes the family's serving signatures of `model` as a SavedModel in `folder`."""
    signatures = get_family(family_name).signatures(model)
    archive = keras.export.ExportArchive()
    archive.track(model)
    # The first endpoint also becomes serving_default.
    for signature in signatures:
        archive.add_endpoint(signature.name, signature.serving_function())
    archive.write_out(str(folder), verbose=False)
    return [signature.to_json() for signature in signatures]


def export_model(model: keras.Model, entry: Entry, root: str | Path,
                 details: dict[str, Any] | None = None) -> Path:
    """Exports `model` as the next version of `entry` under `root`.

    The SavedModel and its `zoo.json` (entry, family, model config, signature
    declarations and `details`, e.g. how it was trained) are written to a
    temporary folder beside the versions and renamed into place, so a crash
    never leaves a partial version behind.

    Args:
        model: the trained model.
        entry: its zoo entry.
        root: the exported-models folder.
        details: extra metadata to record.

    Returns:
        The new version folder.

    Example:
        >>> export_model(model, get_entry("vae_mnist"), "exported")  # doctest: +SKIP
        PosixPath('exported/vae_mnist/2')
    """
    entry_dir = Path(root) / entry.name
    entry_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=entry_dir, prefix=".export-"))
    try:
        signatures = write_saved_model(model, entry.family, staging)
        metadata = {
            "entry": entry.name,
            "family": entry.family,
            "description": entry.description,
            "model_config": model.get_config(),
            "serving_default": signatures[0]["name"],
            "signatures": signatures,
            **(details or {}),
        }
        (staging / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n")
        staging.chmod(0o755)
        while True:
            taken = [int(child.name) for child in entry_dir.iterdir() if child.name.isdigit()]
            target = entry_dir / str(max(taken, default=0) + 1)
            try:
                # Atomic, and fails if another export took this number first.
                staging.rename(target)
                return target
            except OSError:
                if not target.exists():
                    raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
