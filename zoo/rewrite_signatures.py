"""Rewriting an existing export with its family's current signatures: a maintenance tool.

It reads an export as `zoo.loading` does and writes it as `zoo.export` does, so
it sits above both.
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
import tempfile
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from zoo.export import write_saved_model
from zoo.export_format import MANIFEST_KEY, WEIGHTS_KEY, file_manifest, weight_paths, write_metadata
from zoo.loading import ExportedModel
from zoo.paths import remove_stale_staging, staging_prefix

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
        write_metadata(staging, metadata)
        staging.chmod(0o755)
        _swap_into_place(staging, folder)
    finally:
        # After the swap, the old version.
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _keep_variables_files(previous: Path, staging: Path, model: keras.Model) -> None:
    """Puts `previous`'s variables files in `staging` when the SavedModel there restores the
    model's weights from them; leaves the new ones otherwise."""
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
