"""Held-out figures of translation models: their outputs against known answers and a classifier.

- inpainting (`inpainting_figures`): completed MNIST digits against the true
  ones (L1 over the image and over the blanked lower half), the digit
  classifier's accuracy on them and the Fréchet distance of its features to
  those of the real digits;
- restyling (`restyle_figures`): a_to_b(a) against the true restyled digit T(a),
  label preservation (the share a classifier of restyled digits calls a's
  digit) and the cycle's L1 back to a;
- horse <-> zebra (`domain_figures`): the share of translations the domain
  classifier calls the target domain, and the Fréchet distance of its features
  to the real images of that domain.

The models are run through their signatures, in chunks (`translate`).
"""

from __future__ import annotations

import os
from typing import Any

import keras
import numpy as np

from zoo.data import load_examples, load_mnist
from zoo.data.tasks import INPAINT_FIRST_BLANK_ROW, INPAINT_SIZE, plain_rgb, restyle
from zoo.evaluation.classifiers import DIGIT_IMAGE_SHAPE, HORSE, ZEBRA, classify
from zoo.evaluation.frechet import feature_statistics, frechet_distance
from zoo.loading import ExportedModel
from zoo.registry import get_entry

__all__ = ["CHUNK", "CHUNK_PIXELS", "called", "digits_of_completions", "domain_figures",
           "held_out", "inpainting_figures", "mean_l1", "restyle_figures", "restyle_held_out",
           "translate"]

CHUNK = 256
# At most this many pixels per translated chunk: 256 images of 32x32, 4 of 256x256.
CHUNK_PIXELS = CHUNK * 32 * 32
# The 28x28 digit inside the padding of an inpainting image.
_PAD = (INPAINT_SIZE - DIGIT_IMAGE_SHAPE[0]) // 2
_DIGIT = slice(_PAD, _PAD + DIGIT_IMAGE_SHAPE[0])

Statistics = tuple[np.ndarray, np.ndarray]
"""A Gaussian fitted to features: `feature_statistics`' (mean, covariance)."""


def held_out(entry: str, split: str, data_dir: str | os.PathLike,
             image_size: int) -> dict[str, np.ndarray]:
    """The held-out examples of an entry's data set as its data layer gives them (no
    augmentation), all of the split.

    Usage (needs a data set, or trains):
        pairs = held_out("pix2pix_facades", "test", "data/facades", 256)
        sorted(pairs)  # ['input', 'target']
    """
    examples = load_examples(get_entry(entry).data.dataset, split, data_dir)
    return examples.held_out(len(examples), image_size)


def restyle_held_out(split: str, data_dir: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every digit of an MNIST split as domain A, with its label and its true answer T(a).

    Returns:
        `{"a": plain digits, "target": T(a), "label": digits}`: float32 RGB (N, 28, 28, 3)
        in [0, 1] twice, and int64 (N,).

    Usage (needs a data set, or trains):
        restyle_held_out("test[8000:]", "data/mnist")["a"].shape  # (2000, 28, 28, 3)
    """
    images, labels = load_mnist(split, data_dir)
    return {"a": np.asarray(plain_rgb({"image": images, "label": labels})["image"]),
            "target": np.asarray(restyle(images)), "label": labels}


def translate(model: ExportedModel, inputs: np.ndarray,
              signature: str = "translate") -> np.ndarray:
    """The outputs of one of the model's signatures for every input, in chunks, with progress.

    A chunk holds at most `CHUNK` images and `CHUNK_PIXELS` pixels, so large images
    translate a few at a time; a line after each chunk tells how many are done.

    Usage (needs a data set, or trains):
        horse2zebra = zoo.load("cyclegan_horse2zebra")
        zebras = translate(horse2zebra, horses, "a_to_b")
    """
    chunk = max(1, min(CHUNK, CHUNK_PIXELS // (inputs.shape[1] * inputs.shape[2])))
    what = "translated" if signature == "translate" else f"{signature}:"
    outputs = []
    for start in range(0, len(inputs), chunk):
        outputs.append(model.call(signature, inputs[start:start + chunk]))
        print(f"  {what} {min(start + chunk, len(inputs))}/{len(inputs)}", flush=True)
    return np.concatenate(outputs)


def mean_l1(outputs: np.ndarray, targets: np.ndarray, rows: slice = slice(None)) -> float:
    """The mean absolute difference of two image batches, over `rows` of each image.

    Example:
        >>> mean_l1(np.zeros((1, 2, 2, 1)), np.ones((1, 2, 2, 1)))
        1.0
    """
    return float(np.abs(outputs[:, rows] - targets[:, rows]).mean())


def called(probabilities: np.ndarray, labels: np.ndarray | int) -> float:
    """The share of images whose most probable class is their label (or the one class).

    Example:
        >>> called(np.array([[0.9, 0.1], [0.3, 0.7]]), 1)
        0.5
    """
    return float(np.mean(probabilities.argmax(1) == labels))


def digits_of_completions(images: np.ndarray) -> np.ndarray:
    """The 28x28 digits inside 32x32 inpainting images (their padding cut off)."""
    return images[:, _DIGIT, _DIGIT]


def inpainting_figures(outputs: np.ndarray, data: dict[str, np.ndarray], classifier: keras.Model,
                       real_statistics: Statistics) -> dict[str, float]:
    """L1 (whole, blanked half), classifier accuracy and Fréchet distance of completions.

    Args:
        outputs: the completed images, as `data["target"]`.
        data: the held-out pairs (`input`, `target`) and their digits (`label`).
        classifier: the digit classifier.
        real_statistics: the Gaussian of its features of the true digits.

    Returns:
        `l1`, `l1_blanked_half`, `accuracy` (rounded to 5 places) and
        `frechet_distance` (to 3).
    """
    features, probabilities = classify(classifier, digits_of_completions(outputs))
    return {"l1": round(mean_l1(outputs, data["target"]), 5),
            "l1_blanked_half": round(mean_l1(outputs, data["target"],
                                             slice(INPAINT_FIRST_BLANK_ROW, None)), 5),
            "accuracy": round(called(probabilities, data["label"]), 5),
            "frechet_distance": round(frechet_distance(*feature_statistics(features),
                                                       *real_statistics), 3)}


def restyle_figures(outputs: np.ndarray, cycled: np.ndarray, data: dict[str, np.ndarray],
                    classifier: keras.Model) -> dict[str, float]:
    """L1 of a_to_b(a) to T(a), the share of a_to_b(a) called a's digit, L1 of the cycle to a.

    Args:
        outputs: a_to_b(a).
        cycled: b_to_a(a_to_b(a)).
        data: `restyle_held_out`'s digits.
        classifier: the digit classifier trained on restyled digits.

    Returns:
        `l1_to_true`, `label_preservation` and `cycle_l1`, rounded to 5 places.
    """
    _, probabilities = classify(classifier, outputs)
    return {"l1_to_true": round(mean_l1(outputs, data["target"]), 5),
            "label_preservation": round(called(probabilities, data["label"]), 5),
            "cycle_l1": round(mean_l1(cycled, data["a"]), 5)}


def _domain_frechet(features: np.ndarray, real_statistics: Statistics) -> float:
    """The Fréchet distance to the real features' Gaussian, to 4 significant digits (the scale
    of the domain classifier's features is its own)."""
    return float(f"{frechet_distance(*feature_statistics(features), *real_statistics):.4g}")


def domain_figures(from_horses: tuple[np.ndarray, np.ndarray],
                   from_zebras: tuple[np.ndarray, np.ndarray],
                   real_horses: Statistics, real_zebras: Statistics) -> dict[str, Any]:
    """Horses made zebras and zebras made horses, as the domain classifier sees them.

    Args:
        from_horses: `classify`'s (features, probabilities) of the images made from the
            test horses (or of the horses themselves, for the identity baseline).
        from_zebras: the same for the images made from the test zebras.
        real_horses: the Gaussian of the classifier's features of the real test horses.
        real_zebras: the same for the real test zebras.

    Returns:
        `horses_called_zebras` and `zebras_called_horses` (rounded to 5 places), and
        `frechet_horses_to_zebras` and `frechet_zebras_to_horses` (to 4 significant digits),
        each distance to the real images of the target domain.
    """
    return {"horses_called_zebras": round(called(from_horses[1], ZEBRA), 5),
            "frechet_horses_to_zebras": _domain_frechet(from_horses[0], real_zebras),
            "zebras_called_horses": round(called(from_zebras[1], HORSE), 5),
            "frechet_zebras_to_horses": _domain_frechet(from_zebras[0], real_horses)}
