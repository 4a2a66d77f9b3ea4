"""Images drawn from a generative export through its `sample` signature, for judging them in
bulk: any settings its `sample` takes beyond count and seed (a sampler's steps) given by name."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from zoo.errors import ConfigurationError
from zoo.loading import ExportedModel

__all__ = ["SET_BY_SAMPLE_IMAGES", "is_conditional", "sample_images", "sample_settings"]


def is_conditional(exported: ExportedModel) -> bool:
    """Whether an export's `sample` signature takes the class to draw (`label`).

    Args:
        exported: a loaded export with a `sample` signature.

    Returns:
        True for a class-conditional export.

    Example:
        >>> import zoo
        >>> is_conditional(zoo.load("cgan_mnist"))
        True
    """
    return any(spec.name == "label" for spec in exported.signatures["sample"].inputs)


SET_BY_SAMPLE_IMAGES = ("count", "seed", "label")
"""The `sample` inputs `sample_images` sets itself, call by call."""


def sample_settings(exported: ExportedModel) -> tuple[str, ...]:
    """The inputs of an export's `sample` signature beyond what `sample_images` sets itself
    (count, seed, label): a sampler's number of steps, say.

    Example:
        >>> import zoo
        >>> sample_settings(zoo.load("dcgan_mnist"))
        ()
    """
    return tuple(spec.name for spec in exported.signatures["sample"].inputs
                 if spec.name not in SET_BY_SAMPLE_IMAGES)


def sample_images(exported: ExportedModel, count: int, seed: int, chunk: int = 1000,
                  settings: Mapping[str, Any] | None = None
                  ) -> tuple[np.ndarray, np.ndarray | None]:
    """Draws images from a generative export through `sample`, in chunks.

    Call i (counted from 0 over the whole draw) uses seed `seed + i`, so no two calls
    share latent vectors or starting noise. A class-conditional export draws
    `count // classes` images of each class.

    Args:
        exported: a loaded export with `sample(count, seed[, label][, ...])`.
        count: images to draw (in total, over all classes).
        seed: seed of the first call.
        chunk: images per call; capped by the signature's largest `count`.
        settings: further `sample` inputs passed to every call, by name, such as
            `{"steps": 20, "eta": 0.0}` for a sampler; inputs left out take the
            signature's defaults.

    Returns:
        `(images, labels)`: float32 (n, H, W, C) images in [0, 1], and for a conditional
        export the requested class of each (int64), else None.

    Raises:
        ConfigurationError: a conditional export asked for fewer images than it has classes,
            or a setting the export's `sample` does not take (or one this function sets).
        zoo.errors.InputError: a setting's value the signature refuses (out of its range).

    Example:
        >>> import zoo
        >>> images, labels = sample_images(zoo.load("dcgan_mnist"), 100, seed=0)
        >>> images.shape, labels
        ((100, 28, 28, 1), None)
    """
    inputs = {spec.name: spec for spec in exported.signatures["sample"].inputs}
    settings = dict(settings or {})
    taken = sample_settings(exported)
    refused = [name for name in settings if name not in taken]
    if refused:
        what = f"takes the settings {', '.join(taken)}" if taken else "takes no settings"
        raise ConfigurationError(
            f"sample() of {exported.path} {what} (count and seed are set per call"
            f"{', label per class' if 'label' in inputs else ''}); got "
            f"{', '.join(map(repr, refused))}.")
    if inputs["count"].maximum is not None:
        chunk = min(chunk, int(inputs["count"].maximum))
    if "label" in inputs:
        classes = int(inputs["label"].maximum) + 1
        if count < classes:
            raise ConfigurationError(f"--count must be at least {classes}, one image per class "
                                     f"of the conditional export; got {count}.")
        requests = [(label, count // classes) for label in range(classes)]
    else:
        requests = [(None, count)]
    images, labels, call = [], [], 0
    for label, total in requests:
        for start in range(0, total, chunk):
            size = min(chunk, total - start)
            arguments = (size, seed + call) if label is None else (size, seed + call, label)
            images.append(np.asarray(exported.sample(*arguments, **settings), np.float32))
            labels.append(np.full(size, -1 if label is None else label, np.int64))
            call += 1
    conditional = requests[0][0] is not None
    return np.concatenate(images), np.concatenate(labels) if conditional else None
