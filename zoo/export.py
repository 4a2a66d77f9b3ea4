"""Exporting a trained model as a TF Serving SavedModel: `<root>/<entry>/<version>/`.

The folder's format (`zoo.json`, its file record and weight names) is
`zoo.export_format`'s; the functions served are `zoo.signature_graphs`'.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any, Sequence

import keras

from zoo.checks import non_finite_variables
from zoo.errors import ExportError
from zoo.export_format import (MANIFEST_KEY, METADATA_FILE, WEIGHTS_KEY, file_manifest,
                               weight_paths, write_metadata)
from zoo.families import get_family
from zoo.outliers import (QUANTILES_KEY, SCORE_SIGNATURE, HeldOutImages, quantile_record,
                          score_batches)
from zoo.paths import remove_stale_staging, staging_prefix
from zoo.registry import Entry
from zoo.signature_graphs import serving_function


def write_saved_model(model: keras.Model, family_name: str, folder: Path,
                      names: Sequence[str] | None = None) -> list[dict]:
    """Writes the family's serving signatures of `model` as a SavedModel in `folder`: all of
    them, or those named in `names`."""
    signatures = [signature for signature in get_family(family_name).signatures(model)
                  if names is None or signature.name in names]
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
        archive.add_endpoint(signature.name, serving_function(signature))
    archive.write_out(str(folder), verbose=False)
    return [signature.to_json() for signature in signatures]


def score_quantiles(folder: Path, signatures: list[dict], held_out: HeldOutImages
                    ) -> dict[str, Any]:
    """The `score_quantiles` record of the SavedModel in `folder` (`zoo.outliers`): the
    held-out images scored by its served `score` signature, what a user of the export gets."""
    import numpy as np
    import tensorflow as tf

    declaration = next(data for data in signatures if data["name"] == SCORE_SIGNATURE)
    outputs = tuple(output if isinstance(output, str) else output["name"]
                    for output in declaration["outputs"])
    if len(declaration["inputs"]) != 1:
        raise ValueError(f"a {SCORE_SIGNATURE!r} signature takes one batch of images; this one "
                         f"takes {len(declaration['inputs'])} inputs")
    images = declaration["inputs"][0]["name"]
    served = tf.saved_model.load(str(folder)).signatures[SCORE_SIGNATURE]
    scores = score_batches(
        lambda batch: {name: np.asarray(value) for name, value in
                       served(**{images: tf.constant(batch, tf.float32)}).items()},
        held_out.batches, outputs)
    return quantile_record(scores, dataset=held_out.dataset, split=held_out.split,
                           normal_class=held_out.normal_class)


def export_model(model: keras.Model, entry: Entry, root: str | Path,
                 details: dict[str, Any] | None = None,
                 held_out: HeldOutImages | None = None) -> Path:
    """Exports `model` as the next version of `entry` under `root`.

    The SavedModel and its `zoo.json` (entry, family, model config, signature
    declarations, the size and SHA-256 of every file, and `details`, e.g. how it
    was trained) are written to a staging folder beside the versions and renamed
    into place, so a crash never leaves a partial version behind. When the family
    exports a `score` signature and `held_out` images are given, they are scored by
    the staged SavedModel and the distribution of each output is recorded in
    `zoo.json` as `score_quantiles` (`zoo.outliers`) before the rename, so no
    version is ever seen without it; without `held_out` none is recorded. The staging
    folder is named for this process and host (`zoo.paths.STAGING_PATTERN`);
    those of processes that died mid-export are removed by the next export into
    the entry's folder and by `zoo.load`.

    Args:
        model: the trained model.
        entry: its zoo entry.
        root: the exported-models folder.
        details: extra metadata to record.
        held_out: held-out images of the data the model was trained on, but not
            trained on (the run's validation split), for `score_quantiles`;
            read only when the family exports a `score` signature.

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
        }
        if held_out is not None and any(data["name"] == SCORE_SIGNATURE for data in signatures):
            metadata[QUANTILES_KEY] = score_quantiles(staging, signatures, held_out)
        metadata |= {
            # Last, after the SavedModel is complete; zoo.load checks the folder against it.
            MANIFEST_KEY: file_manifest(staging),
        }
        write_metadata(staging, metadata)
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
    metadata = json.loads((Path(folder) / METADATA_FILE).read_text())
    metadata["evaluation"] = metadata.get("evaluation", {}) | {key: figures}
    return write_metadata(folder, metadata)
