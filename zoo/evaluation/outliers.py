"""Outlier detection measured: AUROC, the one-class MNIST protocol, out-of-distribution sets and
the codes of autoencoders.

- `auroc`: the area under the ROC curve of a score that should be higher on anomalies, from
  ranks (ties count a half), as the one-class papers report it (in %, `100 * auroc`).
- One-class MNIST (Ruff et al. 2018, "Deep One-Class Classification", ICML): a model trained
  on one digit scores every held-out digit; the AUROC has the other nine digits as anomalies
  (`one_class_aurocs`). `RUFF_DEEP_SVDD` is their Deep SVDD row, `REFERENCE_MEANS` the means
  of later methods on the same protocol.
- Out of distribution: `out_of_distribution_sets` makes images that are not digits, simple
  ones (constant, smooth, regular) among them, since likelihood models are known to score
  simple inputs as typical (Nalisnick et al. 2019).
- Codes: `linear_probe_accuracy` fits a multinomial logistic regression on codes and measures
  its held-out accuracy; `reconstruction_errors` measures what a code keeps of its image.

Scores come from an export's `score` signature, every output by name (`score_outputs`; its
first output is the zoo's recommended one), and, where the exported Keras model has one,
the importance-weighted NLL (`importance_weighted_nll`, Burda et al. 2016).
`train_model` trains an entry through the recipes' runtime, as `zoo train` does.
benchmarks/outlier_detection.py is the command line over these.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from zoo.console import progress

RUFF_DEEP_SVDD = (98.0, 99.7, 91.7, 91.9, 94.9, 88.5, 98.3, 94.6, 93.9, 96.5)
"""One-class Deep SVDD's AUROC (%) for MNIST digits 0-9, Ruff et al. 2018, Table 1 (mean 94.8);
trained on the ~6,000 training images of each digit, tested on the 10,000 test images."""

REFERENCE_MEANS = (("Deep SVDD (Ruff et al. 2018)", 94.8),
                   ("OCGAN (Perera et al. 2019)", 97.5),
                   ("GEOM (Golan and El-Yaniv 2018)", 98.0))
"""Mean one-class MNIST AUROC (%) over the ten digits of published methods, same protocol."""

SCORE_SIGNATURE = "score"
IW_NLL = "importance_weighted_nll"
"""The name of the importance-weighted NLL among a model's scores (`scores`)."""

SIMPLE_SETS = ("black", "white", "grey", "gradient", "checkerboard", "blurred noise",
               "rectangle", "lines")
"""The out-of-distribution sets simpler than digits: constant, smooth or regular images, and
white shapes on black as digits are drawn."""
COMPLEX_SETS = ("uniform noise", "inverted digits", "digits rotated 90", "digits mirrored",
                "overlaid digits")
"""The others: noise, and digits transformed or combined so that they are no longer digits as
written."""


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..N of `values`, ties given the mean of the ranks they span.

    Example:
        >>> average_ranks(np.array([10.0, 30.0, 20.0, 20.0])).tolist()
        [1.0, 4.0, 2.5, 2.5]
    """
    values = np.asarray(values, np.float64).ravel()
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    # Runs of equal values: each gets the mean of its 1-based positions.
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(values)]
    mean_ranks = (starts + 1 + ends) / 2.0
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(mean_ranks, ends - starts)
    return ranks


def auroc(normal: Sequence[float], anomalous: Sequence[float]) -> float:
    """The area under the ROC curve of a score meant to be higher on `anomalous` examples:
    the probability that a random anomaly scores above a random normal example, ties counting
    a half (the Mann-Whitney U statistic over the product of the counts).

    1 separates perfectly, 0.5 is chance (or every score equal), 0 is perfectly reversed.

    Example:
        >>> auroc([1, 2, 3], [4, 5]), auroc([4, 5], [1, 2, 3]), auroc([1, 1], [1])
        (1.0, 0.0, 0.5)
        >>> auroc([0.1, 0.4, 0.35], [0.8, 0.4])  # 5 wins and a tie of 6 pairs
        0.9166666666666666

    Raises:
        ValueError: either group is empty, or a score is not finite.
    """
    normal, anomalous = (np.asarray(group, np.float64).ravel() for group in (normal, anomalous))
    if not len(normal) or not len(anomalous):
        raise ValueError(f"AUROC needs normal and anomalous examples; got {len(normal)} and "
                         f"{len(anomalous)}.")
    if not (np.isfinite(normal).all() and np.isfinite(anomalous).all()):
        raise ValueError("AUROC needs finite scores; some are NaN or infinite.")
    ranks = average_ranks(np.concatenate([normal, anomalous]))
    wins = ranks[len(normal):].sum() - len(anomalous) * (len(anomalous) + 1) / 2.0
    return float(wins / (len(normal) * len(anomalous)))


def unit_images(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, H, W[, C]) as float32 NHWC in [0, 1], as the signatures take them."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255.0
    return images.astype(np.float32)


def _batched(function, images: np.ndarray, batch_size: int) -> dict[str, np.ndarray]:
    parts: dict[str, list[np.ndarray]] = {}
    for start in range(0, len(images), batch_size):
        for name, values in function(images[start:start + batch_size]).items():
            parts.setdefault(name, []).append(np.asarray(values))
    return {name: np.concatenate(values) for name, values in parts.items()}


def signature_outputs(exported, signature: str, images: np.ndarray, batch_size: int = 500
                      ) -> dict[str, np.ndarray]:
    """Every output of one of an export's image signatures on `images`, by name."""
    names = exported.signatures[signature].output_names

    def call(batch: np.ndarray) -> dict[str, np.ndarray]:
        result = exported.call(signature, batch)
        return result if isinstance(result, dict) else {names[0]: result}

    return _batched(call, images, batch_size)


def score_outputs(exported, images: np.ndarray, batch_size: int = 500) -> dict[str, np.ndarray]:
    """Every output of the export's `score` signature on `images`, by name, in the
    signature's order (the first is the zoo's recommended score)."""
    if SCORE_SIGNATURE not in exported.signatures:
        raise ValueError(f"{exported.path} has no {SCORE_SIGNATURE!r} signature; it has: "
                         f"{', '.join(exported.signatures)}.")
    return signature_outputs(exported, SCORE_SIGNATURE, images, batch_size)


def importance_weighted_nll(model, images: np.ndarray, k: int, batch_size: int = 100
                            ) -> np.ndarray | None:
    """Per-image importance-weighted NLL in nats with `k` samples (Burda et al. 2016) from a
    Keras model that has `importance_weighted_nll` (the VAE's), else None."""
    if not hasattr(model, "importance_weighted_nll"):
        return None
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def nll(batch: tf.Tensor) -> tf.Tensor:
        return model.importance_weighted_nll(batch, k=k, chunk=min(k, 500))

    return _batched(lambda batch: {IW_NLL: nll(tf.constant(batch)).numpy()}, images,
                    batch_size)[IW_NLL]


def scores(exported, images: np.ndarray, k: int = 0) -> dict[str, np.ndarray]:
    """The export's score outputs on `images`, and its importance-weighted NLL with `k`
    samples (as `IW_NLL`) when `k` > 0 and its model has one."""
    result = score_outputs(exported, images)
    if k > 0:
        nll = importance_weighted_nll(exported.keras_model(), images, k)
        if nll is not None:
            result[IW_NLL] = nll
    return result


def one_class_aurocs(scores: Mapping[str, np.ndarray], labels: np.ndarray, normal_class: int
                     ) -> dict[str, float]:
    """The AUROC of each score with the images of `normal_class` as normal and every other
    label as anomalous (Ruff et al. 2018's protocol)."""
    normal = np.asarray(labels) == normal_class
    return {name: auroc(values[normal], values[~normal]) for name, values in scores.items()}


def _blur(images: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of (N, H, W) images, separable, edges reflected."""
    radius = max(1, int(math.ceil(3 * sigma)))
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel /= kernel.sum()
    for axis in (1, 2):
        pad = [(0, 0)] * 3
        pad[axis] = (radius, radius)
        padded = np.pad(images, pad, mode="reflect")
        size = images.shape[axis]
        images = sum(weight * np.take(padded, np.arange(index, index + size), axis=axis)
                     for index, weight in enumerate(kernel))
    return images


def out_of_distribution_sets(digits: np.ndarray, count: int = 500, seed: int = 0
                             ) -> dict[str, np.ndarray]:
    """Sets of `count` images that are not digits, float32 NHWC in [0, 1] like `digits`.

    Simple (`SIMPLE_SETS`): black, white, grey (one level per image, 0.1-0.9), gradient (a
    linear ramp between two random levels in a random direction), checkerboard (squares of
    2 to 7 pixels, random phase), blurred noise (uniform noise blurred with sigma 1-3 and
    stretched to [0, 1]), rectangle (one white rectangle of 4 to 20 pixels a side on black),
    lines (one to three straight white strokes about 2 pixels wide on black). Complex
    (`COMPLEX_SETS`): uniform noise, and the first `count` digits inverted (1 - x), rotated
    by 90 degrees, mirrored left to right, and overlaid on others (the brighter pixel of two
    digits).

    Example:
        >>> sets = out_of_distribution_sets(np.zeros((8, 28, 28, 1), "float32"), count=4)
        >>> list(sets)[:3], sets["white"].shape, float(sets["inverted digits"].min())
        (['black', 'white', 'grey'], (4, 28, 28, 1), 1.0)
    """
    digits = unit_images(digits)
    count = min(count, len(digits))
    rng = np.random.default_rng(seed)
    _, height, width, channels = digits.shape
    shape = (count, height, width)
    rows, columns = np.meshgrid(np.linspace(-1, 1, height), np.linspace(-1, 1, width),
                                indexing="ij")
    angles = rng.uniform(0, 2 * np.pi, count)[:, None, None]
    ramp = np.cos(angles) * columns + np.sin(angles) * rows
    ramp = (ramp - ramp.min(axis=(1, 2), keepdims=True)) / np.ptp(ramp, axis=(1, 2),
                                                                   keepdims=True)
    low, high = rng.uniform(0, 0.3, (2, count, 1, 1)), rng.uniform(0.7, 1, (2, count, 1, 1))
    ends = np.where(rng.random((count, 1, 1)) < 0.5, low[0], high[0]), \
        np.where(rng.random((count, 1, 1)) < 0.5, low[1], high[1])
    size = rng.integers(2, 8, (count, 1, 1))
    phase = rng.integers(0, 8, (2, count, 1, 1))
    grid_rows, grid_columns = np.indices((height, width))
    checks = ((grid_rows + phase[0]) // size + (grid_columns + phase[1]) // size) % 2
    blurred = np.stack([_blur(rng.uniform(size=(1, height, width)), sigma)[0]
                        for sigma in rng.uniform(1, 3, count)])
    blurred = (blurred - blurred.min(axis=(1, 2), keepdims=True)) / np.ptp(
        blurred, axis=(1, 2), keepdims=True)
    sides = rng.integers(4, 21, (2, count))
    corners = rng.integers(0, np.array([[height], [width]]) - sides + 1)
    rectangles = ((grid_rows[None] >= corners[0][:, None, None])
                  & (grid_rows[None] < (corners[0] + sides[0])[:, None, None])
                  & (grid_columns[None] >= corners[1][:, None, None])
                  & (grid_columns[None] < (corners[1] + sides[1])[:, None, None]))
    lines = np.zeros(shape, bool)
    for index, strokes in enumerate(rng.integers(1, 4, count)):
        for _ in range(strokes):
            angle = rng.uniform(0, np.pi)
            # A line through a point of the middle half of the image, 2 pixels wide.
            point = rng.uniform([height / 4, width / 4], [3 * height / 4, 3 * width / 4])
            distance = np.abs(np.cos(angle) * (grid_columns - point[1])
                              - np.sin(angle) * (grid_rows - point[0]))
            lines[index] |= distance < 1.0
    head = digits[:count, ..., 0]
    others = digits[rng.permutation(len(digits))[:count], ..., 0]
    sets = {
        "black": np.zeros(shape),
        "white": np.ones(shape),
        "grey": np.broadcast_to(rng.uniform(0.1, 0.9, (count, 1, 1)), shape),
        "gradient": ends[0] + (ends[1] - ends[0]) * ramp,
        "checkerboard": checks,
        "blurred noise": blurred,
        "rectangle": rectangles,
        "lines": lines,
        "uniform noise": rng.uniform(size=shape),
        "inverted digits": 1.0 - head,
        "digits rotated 90": np.rot90(head, axes=(1, 2)),
        "digits mirrored": head[:, :, ::-1],
        "overlaid digits": np.maximum(head, others),
    }
    return {name: np.repeat(np.clip(images, 0, 1).astype(np.float32)[..., None], channels, -1)
            for name, images in sets.items()}


def codes(exported, images: np.ndarray) -> np.ndarray:
    """The codes of `images`: the first output of the export's `encode` signature (an
    autoencoder's `code`, a VAE's posterior `mean`)."""
    first = exported.signatures["encode"].output_names[0]
    return signature_outputs(exported, "encode", images)[first]


def reconstruction_errors(exported, images: np.ndarray) -> dict[str, float]:
    """How much of `images` the export's `reconstruct` keeps: the mean squared error per pixel,
    and the binary cross-entropy summed over each image's pixels (nats, the loss of a
    Bernoulli model; grey-level images give it a floor above 0), averaged over images."""
    images = unit_images(images)
    first = exported.signatures["reconstruct"].output_names[0]
    output = signature_outputs(exported, "reconstruct", images)[first]
    clipped = np.clip(output, 1e-6, 1 - 1e-6)
    entropy = -(images * np.log(clipped) + (1 - images) * np.log(1 - clipped))
    return {"mse": float(np.mean((output - images) ** 2)),
            "bce_nats": float(entropy.reshape(len(images), -1).sum(1).mean())}


def linear_probe_accuracy(train_codes: np.ndarray, train_labels: np.ndarray,
                          test_codes: np.ndarray, test_labels: np.ndarray, *,
                          steps: int = 500, l2: float = 1e-4) -> float:
    """The held-out accuracy of a multinomial logistic regression fitted to codes: how much
    of the labels a linear read-out finds in them.

    Features are standardised with the training codes' mean and deviation; the weights
    minimise the mean cross-entropy plus `l2` times their squared norm, by `steps` of full-batch
    gradient descent with Nesterov momentum (deterministic, no seed).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> labels = rng.integers(0, 3, 300)
        >>> points = rng.normal(size=(300, 2)) + 4 * np.eye(3)[labels][:, :2]
        >>> linear_probe_accuracy(points[:200], labels[:200], points[200:], labels[200:]) > 0.9
        True
    """
    train_codes, test_codes = (np.asarray(codes, np.float64).reshape(len(codes), -1)
                               for codes in (train_codes, test_codes))
    classes = np.unique(train_labels)
    index = {label: position for position, label in enumerate(classes)}
    targets = np.eye(len(classes))[[index[label] for label in train_labels]]
    mean, deviation = train_codes.mean(0), train_codes.std(0) + 1e-8

    def features(codes: np.ndarray) -> np.ndarray:
        return np.hstack([(codes - mean) / deviation, np.ones((len(codes), 1))])

    x = features(train_codes)
    weights = np.zeros((x.shape[1], len(classes)))
    velocity = np.zeros_like(weights)
    # Step size from the curvature bound of the softmax cross-entropy (1/2 of the largest
    # eigenvalue of x'x / n), so descent is stable without tuning.
    rate = 1.0 / (0.5 * np.linalg.eigvalsh(x.T @ x / len(x)).max() + 2 * l2)
    for _ in range(steps):
        ahead = weights + 0.9 * velocity
        logits = x @ ahead
        logits -= logits.max(1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(1, keepdims=True)
        gradient = x.T @ (probabilities - targets) / len(x) + 2 * l2 * ahead
        velocity = 0.9 * velocity - rate * gradient
        weights = weights + velocity
    predicted = classes[np.argmax(features(test_codes) @ weights, axis=1)]
    return float(np.mean(predicted == np.asarray(test_labels)))


def mean_and_spread(values: Sequence[float]) -> tuple[float, float]:
    """The mean of `values` and their sample standard deviation (0 for a single value).

    Example:
        >>> mean_and_spread([1.0, 2.0, 3.0])
        (2.0, 1.0)
    """
    values = np.asarray(values, np.float64)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def declared_score_outputs(entry_name: str) -> list[str]:
    """The outputs the entry's family declares for `score` today (empty for a family that does
    not score), from a model of the entry's default config: part of a cached run's settings,
    so that a family whose `score` changed gets its runs scored again.

    Example:
        >>> declared_score_outputs("ae_mnist")
        ['complexity_corrected', 'reconstruction_error', 'squared_error']
    """
    from zoo import build
    from zoo.families import get_family
    from zoo.outliers import SCORE_SIGNATURE
    from zoo.registry import get_entry

    family = get_family(get_entry(entry_name).family)
    signature = next((signature for signature in family.signatures(build(entry_name))
                      if signature.name == SCORE_SIGNATURE), None)
    return [] if signature is None else list(signature.output_names)


def with_current_signatures(version: Path) -> Path:
    """The export, its signatures rewritten with its own weights if its family declares others
    today (`zoo.rewrite_signatures.rewrite_signatures`): a finished run found again by
    `train_model` scores as the family does now, not as when it was trained."""
    from zoo import load
    from zoo.families import get_family
    from zoo.rewrite_signatures import rewrite_signatures

    exported = load(version)
    current = [signature.to_json() for signature in
               get_family(exported.metadata["family"]).signatures(exported.keras_model())]
    if current == exported.metadata["signatures"]:
        return version
    progress(f"{version}: its signatures are not its family's any more; rewriting them with "
             "its own weights")
    return rewrite_signatures(version)


def train_model(entry_name: str, out: Path, export_dir: Path, flags: Sequence[str] = ()
                ) -> Path:
    """Trains (or resumes, or finds finished) a run of an entry through the recipes' runtime,
    as `zoo train ENTRY --out OUT --export-dir EXPORT_DIR FLAGS` does, and returns its export.

    Raises:
        ZooError: the runtime refuses the flags, the data or the run folder (its message).
        SystemExit: the recipe's parser refuses a flag (its one-line usage error is printed).
    """
    import keras

    from zoo.registry import get_entry
    from zoo.runtime.cli import parse_args
    from zoo.runtime.train import train

    entry = get_entry(entry_name)
    args = parse_args(entry, ["--out", str(out), "--export-dir", str(export_dir), *flags])
    try:
        return train(entry, args)
    finally:
        keras.backend.clear_session()


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table, numbers right-aligned.

    Example:
        >>> print(markdown_table(["digit", "AUROC"], [[0, "99.1"]]))
        | digit | AUROC |
        | --- | ---: |
        | 0 | 99.1 |
    """
    numeric = [all(_numeric(row[column]) for row in rows) and column > 0
               for column in range(len(header))]
    lines = ["| " + " | ".join(header) + " |",
             "| " + " | ".join("---:" if right else "---" for right in numeric) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _numeric(cell: Any) -> bool:
    """Whether a table cell reads as a number (`98.1`, `98.1 ± 0.3`, `n/a`)."""
    words = str(cell).split()
    if not words or words[0] in ("-", "n/a"):
        return True
    try:
        float(words[0].rstrip("%"))
    except ValueError:
        return False
    return True
