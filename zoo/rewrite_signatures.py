"""Maintenance of existing exports: rewriting one with its family's current signatures, and
recording the quantiles of its scores.

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
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from zoo.data.sources import load_examples
from zoo.data.splits import splits_overlap
from zoo.errors import ConfigurationError
from zoo.export import write_saved_model
from zoo.export_format import (MANIFEST_KEY, WEIGHTS_KEY, file_manifest, read_metadata,
                               weight_paths, write_metadata)
from zoo.loading import ExportedModel
from zoo.outliers import (QUANTILES_KEY, SCORE_SIGNATURE, image_batches, quantile_record,
                          score_batches, scoring_signature)
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
    ...) is kept, except `score_quantiles` when the `score` signature's declaration
    changed: those were recorded for other scores (record them again with
    `record_score_quantiles`). The variables files are kept byte for byte when they
    hold exactly the values the new SavedModel restores (checked by loading it), so
    that only `saved_model.pb`, `fingerprint.pb` and `zoo.json` change: a repository
    of exports does not grow by another copy of every weight.

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
        if _declaration(metadata, SCORE_SIGNATURE) != _declaration(loaded.metadata,
                                                                   SCORE_SIGNATURE):
            # Recorded for scores the export no longer computes: record them again.
            metadata.pop(QUANTILES_KEY, None)
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


def record_score_quantiles(folder: str | os.PathLike, dataset: str, split: str,
                           data_dir: str | os.PathLike | None = None, batch_size: int = 250
                           ) -> dict[str, Any]:
    """Scores a split's images with an existing export and records the quantiles in its
    `zoo.json`: a maintenance tool for exports made before the runtime recorded them, or
    after their `score` signature changed (`rewrite_signatures`).

    Hold out a split the model was NOT trained on (see the export's `training`
    record): percentiles of training data would call typical inputs unusual.
    The images are the split's `image` feature as the training data layer gives
    it (decoded and resized, not augmented), scored by the export's own `score`
    signature; of a model trained on one class (`--normal-class`), only the
    examples of that class are. `zoo.json` is replaced atomically
    (`zoo.export_format.write_metadata`); every other key is kept.

    Args:
        folder: the export's version folder.
        dataset: the data set (`zoo.data.sources.load_examples`), e.g. `mnist`.
        split: the held-out split, e.g. `test[8000:]`.
        data_dir: a local copy of the data set, if it is not downloaded.
        batch_size: images scored per call.

    Returns:
        The record written.

    Raises:
        zoo.errors.ConfigurationError: the export has no `score` signature, or the
            split is one it was trained on.

    Example:
        The shipped VAE, scored on the MNIST test images it did not train on::

            record_score_quantiles("exported/vae_mnist/1", "mnist", "test[8000:]",
                                   data_dir="../shared/data/mnist")

        (`zoo.outliers` describes the record.)
    """
    folder = Path(folder)
    model = ExportedModel(folder)
    declaration = scoring_signature(model)
    training = model.metadata.get("training", {})
    if (training.get("dataset") == dataset and isinstance(training.get("train_split"), str)
            and splits_overlap(training["train_split"], split) is not False):
        raise ConfigurationError(f"{model.name} was trained on {dataset} "
                                 f"{training['train_split']}, which {split!r} may share examples "
                                 "with; record the quantiles on a split it was not trained on.")
    examples = load_examples(dataset, split, data_dir)
    normal_class = training.get("normal_class") if training.get("dataset") == dataset else None
    if normal_class is not None:
        examples = examples.of_class(normal_class)
    image_size = model.metadata["model_config"].get("image_size")
    scores = score_batches(lambda images: model.call(declaration.name, images),
                           image_batches(examples, image_size, batch_size),
                           declaration.output_names)
    record = quantile_record(scores, dataset=dataset, split=split, normal_class=normal_class)
    metadata = read_metadata(folder)
    metadata[QUANTILES_KEY] = record
    write_metadata(folder, metadata)
    return record


def _declaration(metadata: dict, name: str) -> dict | None:
    """The declaration of signature `name` in an export's metadata, or None."""
    return next((data for data in metadata["signatures"] if data["name"] == name), None)


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
