"""Exporting a trained model as a TF Serving SavedModel: `<root>/<entry>/<version>/`."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import keras
import numpy as np

from zoo.checks import non_finite_variables
from zoo.errors import ExportError
from zoo.families import get_family
from zoo.paths import remove_stale_staging, staging_prefix
from zoo.registry import Entry

METADATA_FILE = "zoo.json"
MANIFEST_KEY = "files"
"""The key of `zoo.json` that records each file of the version folder: `{path: {bytes, sha256}}`."""


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
    itself is left out: it holds the record, and `record_evaluation` edits it later.

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
        >>> import tempfile
        >>> scratch = tempfile.TemporaryDirectory()
        >>> folder = Path(scratch.name)
        >>> _ = (folder / METADATA_FILE).write_text('{"entry": "dcgan_mnist"}')
        >>> record_evaluation(folder, "gan_quality", {"frechet_distance": 9.1}).name
        'zoo.json'
        >>> json.loads((folder / METADATA_FILE).read_text())
        {'entry': 'dcgan_mnist', 'evaluation': {'gan_quality': {'frechet_distance': 9.1}}}
        >>> scratch.cleanup()
    """
    from zoo.images import write_atomically

    path = Path(folder) / METADATA_FILE
    metadata = json.loads(path.read_text())
    evaluation = metadata.get("evaluation", {})
    evaluation[key] = figures
    metadata["evaluation"] = evaluation
    write_atomically(path, (json.dumps(metadata, indent=2) + "\n").encode())
    return path


WEIGHTS_KEY = "weights"
"""The key of `zoo.json` that names each exported variable by its place in the model."""


def weight_paths(model: keras.Model) -> list[str]:
    """A name for each of `model.variables`, by where it sits in the model, stable across processes.

    Keras names layers with process-wide counters (`dense_7`), so the same
    architecture built twice gets different variable paths. These names use
    what does not change: the model attribute holding the network, the layer's
    position in it, the layer's class and the variable's own name, e.g.
    `generator/03.BatchNormalization/gamma`. Two networks of the same shapes
    (CycleGAN's two generators) get different names, so exported weights are
    matched to the right network.

    Example:
        >>> import zoo
        >>> weight_paths(zoo.build("vae_mnist"))[:2]
        ['encoder/01.Conv2D/kernel', 'encoder/01.Conv2D/bias']
    """
    owners: dict[int, str] = {}

    def visit(layer: keras.layers.Layer, prefix: str) -> None:
        if isinstance(layer, keras.Model) and hasattr(layer, "layers"):
            for index, child in enumerate(layer.layers):
                visit(child, f"{prefix}/{index:02d}.{type(child).__name__}")
        for variable in layer.variables:
            owners.setdefault(id(variable), f"{prefix}/{variable.name}")

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


def write_saved_model(model: keras.Model, family_name: str, folder: Path) -> list[dict]:
    """Writes the family's serving signatures of `model` as a SavedModel in `folder`."""
    signatures = get_family(family_name).signatures(model)
    archive = keras.export.ExportArchive()
    # `archive.track(model)` would list the model's Keras variable wrappers, which TensorFlow
    # saves a second time beside the tf.Variables the endpoints capture, doubling the files
    # (Keras 3.15). Listing the tf.Variables themselves keeps one copy, and keeps the loaded
    # `.variables` in `model.variables` order, as `weight_paths` records them.
    # A model trained under a strategy holds mirrored variables: the first replica's copy is
    # the one the endpoints capture.
    local = model.distribute_strategy.experimental_local_results
    archive._tf_trackable.variables = [local(variable.value)[0] for variable in model.variables]
    # The first endpoint also becomes serving_default.
    for signature in signatures:
        archive.add_endpoint(signature.name, signature.serving_function())
    archive.write_out(str(folder), verbose=False)
    return [signature.to_json() for signature in signatures]


def export_model(model: keras.Model, entry: Entry, root: str | Path,
                 details: dict[str, Any] | None = None) -> Path:
    """Exports `model` as the next version of `entry` under `root`.

    The SavedModel and its `zoo.json` (entry, family, model config, signature
    declarations, the size and SHA-256 of every file, and `details`, e.g. how it
    was trained) are written to a staging folder beside the versions and renamed
    into place, so a crash never leaves a partial version behind. The staging
    folder is named for this process and host (`zoo.paths.STAGING_PATTERN`);
    those of processes that died mid-export are removed by the next export into
    the entry's folder and by `zoo.load`.

    Args:
        model: the trained model.
        entry: its zoo entry.
        root: the exported-models folder.
        details: extra metadata to record.

    Returns:
        The new version folder.

    Raises:
        zoo.errors.ExportError: a weight holds NaN or infinite values; nothing is written.

    Example:
        >>> import tempfile, zoo
        >>> from zoo.registry import get_entry
        >>> scratch = tempfile.TemporaryDirectory()
        >>> model = zoo.build("vae_mnist", latent_dim=2)
        >>> version = export_model(model, get_entry("vae_mnist"), scratch.name)
        >>> version.relative_to(scratch.name).as_posix()
        'vae_mnist/1'
        >>> zoo.load(version).decode(latent=[[0.0, 0.0]]).shape
        (1, 28, 28, 1)
        >>> scratch.cleanup()
    """
    bad = non_finite_variables(model.variables)
    if bad:
        raise ExportError(f"Refusing to export {entry.name}: {len(bad)} weight(s) hold NaN or "
                          f"infinite values ({bad[0]}, ...); the model diverged. Train it again, "
                          "with a lower learning rate.")
    entry_dir = Path(root) / entry.name
    entry_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(entry_dir)
    staging = Path(tempfile.mkdtemp(dir=entry_dir, prefix=staging_prefix()))
    try:
        signatures = write_saved_model(model, entry.family, staging)
        metadata = {
            "entry": entry.name,
            "family": entry.family,
            "description": entry.description,
            "model_config": model.get_config(),
            "serving_default": signatures[0]["name"],
            "signatures": signatures,
            # The SavedModel's variables are model.variables in order (ExportArchive.track).
            WEIGHTS_KEY: weight_paths(model),
            **(details or {}),
            # Last, after the SavedModel is complete; zoo.load checks the folder against it.
            MANIFEST_KEY: file_manifest(staging),
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


CHECKPOINT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
"""The checkpoint entry that describes the saved object graph rather than holding a weight."""


def rewrite_signatures(folder: str | Path) -> Path:
    """Rewrites an export's version folder with its family's current signatures and own weights.

    For exports made before a signature was added or changed (the `*_bytes` and
    `*_png` twins, say). The model is rebuilt from the recorded `model_config` and
    given the exported weights by their recorded places (`ExportedModel.keras_model`),
    and its SavedModel is written again. `signatures`, `serving_default`, `weights`
    and `files` of `zoo.json` are rewritten, every other key (training, evaluation,
    ...) is kept. The variables files are kept byte for byte when they hold exactly
    the values the new SavedModel restores (checked by loading it), so that only
    `saved_model.pb`, `fingerprint.pb` and `zoo.json` change: a repository of exports
    does not grow by another copy of every weight.

    The new version is written to a staging folder beside the old one and swapped
    with it in one step where the system allows (Linux), so a crash leaves the old
    version in place; elsewhere the old folder is renamed aside for the moment
    between two renames.

    Args:
        folder: an export's version folder, e.g. `exported/vae_mnist/1`.

    Returns:
        The folder, now holding the rewritten export.

    Raises:
        zoo.errors.DamagedExportError: the export's files do not match its record, or
            its variables do not fit the architecture in its `zoo.json`.

    Example:
        The shipped exports, from the repository's root, after a family gained a
        signature (tests/test_rewrite_signatures.py runs one on a small export)::

            for folder in sorted(Path("exported").glob("*/[0-9]*")):
                rewrite_signatures(folder)
    """
    from zoo.loading import ExportedModel

    folder = Path(folder)
    loaded = ExportedModel(folder)
    model = loaded.keras_model()
    metadata = dict(loaded.metadata)
    remove_stale_staging(folder.parent)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=staging_prefix()))
    try:
        metadata["signatures"] = write_saved_model(model, metadata["family"], staging)
        metadata["serving_default"] = metadata["signatures"][0]["name"]
        metadata[WEIGHTS_KEY] = weight_paths(model)
        _keep_variables_files(folder, staging, model)
        # Assigned in place: keys keep their order, so zoo.json's diff shows what changed.
        metadata[MANIFEST_KEY] = file_manifest(staging)
        (staging / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n")
        staging.chmod(0o755)
        _swap_into_place(staging, folder)
    finally:
        # After the swap, the old version.
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _keep_variables_files(previous: Path, staging: Path, model: keras.Model) -> None:
    """Puts `previous`'s variables files in `staging` when the SavedModel there restores the
    model's weights from them; leaves the new ones otherwise."""
    import tensorflow as tf

    def checkpoint(folder: Path):
        return tf.train.load_checkpoint(str(folder / "variables" / "variables"))

    old, new = checkpoint(previous), checkpoint(staging)
    old_dtypes = old.get_variable_to_dtype_map()
    for key, dtype in new.get_variable_to_dtype_map().items():
        if key != CHECKPOINT_GRAPH_KEY and (
                old_dtypes.get(key) != dtype
                or not np.array_equal(old.get_tensor(key), new.get_tensor(key))):
            return
    written = staging / ".variables-written"
    (staging / "variables").rename(written)
    shutil.copytree(previous / "variables", staging / "variables")
    # The SavedModel loader matches the old files' object graph by names, not node numbers:
    # check that it restores every weight, and go back to the new files if not.
    restored = tf.saved_model.load(str(staging)).variables
    if len(restored) == len(model.variables) and all(
            np.array_equal(mine.numpy(), np.asarray(theirs))
            for mine, theirs in zip(restored, model.variables)):
        shutil.rmtree(written)
        _write_fingerprint(staging)
        return
    shutil.rmtree(staging / "variables")
    written.rename(staging / "variables")


def _write_fingerprint(folder: Path) -> None:
    """Rewrites `fingerprint.pb`, which hashes the checkpoint among the SavedModel's parts, as
    `tf.saved_model.save` does (TensorFlow has no public function for it)."""
    from tensorflow.python.saved_model import fingerprinting_utils

    fingerprinting_utils.write_fingerprint(str(folder))


def _swap_into_place(staging: Path, folder: Path) -> None:
    """Moves `staging` to `folder`, and the old `folder` to `staging`."""
    if _exchange(staging, folder):
        return
    aside = folder.with_name(f".{folder.name}.replaced-{os.getpid()}")
    folder.rename(aside)
    staging.rename(folder)
    aside.rename(staging)


def _exchange(first: Path, second: Path) -> bool:
    """Swaps two directories in one atomic step (Linux's renameat2 with RENAME_EXCHANGE).

    Returns:
        False where the system or file system cannot, having changed nothing.
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:  # a C library older than glibc 2.28
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    current_directory, rename_exchange = -100, 2  # AT_FDCWD, RENAME_EXCHANGE
    if renameat2(current_directory, os.fsencode(first), current_directory, os.fsencode(second),
                 rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))
