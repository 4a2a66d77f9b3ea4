"""A feature classifier cached in a folder, with the record of what it was trained on.

The benchmarks judge generated images through a classifier trained once and
kept in a run folder (`classifier.keras`). A cache trained on other data or
with other settings would silently change the feature space, and with it every
Fréchet distance, so beside the model `classifier.json` records its provenance
(architecture, a hash of the training data, epochs, seed...). A cached
classifier is reused only if its record matches the one wanted now; a cache
trained otherwise is refused, one without a readable record is replaced.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

import keras

from zoo.errors import ZooError
from zoo.images import write_atomically

__all__ = ["CLASSIFIER_FILE", "CLASSIFIER_RECORD", "ClassifierCacheError", "cached_classifier",
           "load_or_train", "save_classifier"]

CLASSIFIER_FILE = "classifier.keras"
CLASSIFIER_RECORD = "classifier.json"


class ClassifierCacheError(ZooError):
    """The cached classifier was trained on other data or with other settings."""


def cached_classifier(run_dir: str | os.PathLike, wanted: dict[str, Any],
                      run_dir_flag: str = "--run-dir") -> keras.Model | None:
    """The classifier cached in `run_dir` if its record matches `wanted`.

    Args:
        run_dir: the folder that may hold `classifier.keras` and `classifier.json`.
        wanted: the record a classifier trained now would have.
        run_dir_flag: the command-line flag that picks another folder, named in the error.

    Returns:
        The loaded (uncompiled) classifier; None if there is none, or no readable record
        (a classifier of unknown provenance, to be replaced).

    Raises:
        ClassifierCacheError: the record differs from `wanted`; the message names what
            differs and `run_dir_flag`.

    Example:
        >>> cached_classifier("runs/none", {"epochs": 1}) is None
        True
    """
    run_dir = Path(run_dir)
    path = run_dir / CLASSIFIER_FILE
    if not path.is_file():
        return None
    try:
        cached = json.loads((run_dir / CLASSIFIER_RECORD).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(cached, dict):
        return None
    differing = sorted(key for key in wanted if cached.get(key) != wanted[key])
    if differing:
        described = ", ".join(f"{key} {cached.get(key)!r} (this run: {wanted[key]!r})"
                              for key in differing)
        raise ClassifierCacheError(
            f"the cached classifier {path} was trained with {described}; pass another "
            f"{run_dir_flag}, or delete it to train a new one.")
    return keras.models.load_model(path, compile=False)


def save_classifier(classifier: keras.Model, run_dir: str | os.PathLike,
                    record: dict[str, Any]) -> None:
    """Writes the classifier and its record into `run_dir` (created when missing).

    Both are written under temporary names and renamed into place, so a crash or a
    concurrent run never leaves half a file.

    Args:
        classifier: the trained model.
        run_dir: the cache folder.
        record: what it was trained on and how, as `cached_classifier` compares it.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    path, record_path = run_dir / CLASSIFIER_FILE, run_dir / CLASSIFIER_RECORD
    handle, temporary = tempfile.mkstemp(dir=run_dir, prefix=f".{CLASSIFIER_FILE}.",
                                         suffix=".keras")
    os.close(handle)
    try:
        classifier.save(temporary)
        # mkstemp makes the file private; the cache is meant to be shared by later runs.
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    write_atomically(record_path, (json.dumps(record, indent=2) + "\n").encode())
    record_path.chmod(0o644)


def load_or_train(run_dir: str | os.PathLike, record: dict[str, Any],
                  train: Callable[[], keras.Model],
                  run_dir_flag: str = "--run-dir") -> tuple[keras.Model, bool]:
    """The classifier cached in `run_dir` under `record`, or `train()`'s, cached there.

    Args:
        run_dir: the cache folder.
        record: the provenance of the classifier wanted (see `cached_classifier`).
        train: trains and returns a new classifier; called only when none is cached.
        run_dir_flag: the flag that sets `run_dir`, named in the error.

    Returns:
        `(classifier, trained_now)`.

    Raises:
        ClassifierCacheError: the cached classifier has another record.

    Usage (needs a data set, or trains):
        model, trained = load_or_train("runs/c", {"epochs": 1}, train)
    """
    cached = cached_classifier(run_dir, record, run_dir_flag)
    if cached is not None:
        return cached, False
    classifier = train()
    save_classifier(classifier, run_dir, record)
    return classifier, True
