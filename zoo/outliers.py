"""Outlier scores as percentiles of typical data: the quantiles each scoring export records.

A model whose export has a `score` signature gives each input one or more
per-example scores, higher for more unusual inputs; the signature's FIRST
output is the zoo's recommended outlier score, the others follow. A score
alone means little (nats of what?), so every export that scores records in its
`zoo.json`, under `score_quantiles`, the distribution of each output on
held-out data of its own kind (the run's validation split, never its training
split): percentiles 0 to 100, every 0.5% and at 0.1% and 99.9%. Against it,
any score reads as a percentile of typical data, and an input is an OUTLIER
when its recommended score is above the 99th percentile of held-out scores
(`THRESHOLD_PERCENTILE`): about 1% of typical inputs are flagged (false
alarms), and an input scored higher than 99% of the held-out data is.

The record is written by the training runtime at export (`zoo.export.export_model`
given the held-out images) and, for an existing export, by
`zoo.rewrite_signatures.record_score_quantiles`. `zoo.load(...).outlier_scores(images)`
and `zoo score` read it through `outlier_verdicts`.

This module imports numpy alone, and nothing that imports TensorFlow.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

QUANTILES_KEY = "score_quantiles"
"""The key of `zoo.json` holding the record (`quantile_record`)."""

SCORE_SIGNATURE = "score"
"""The signature whose outputs are per-example outlier scores, the first one recommended."""

THRESHOLD_PERCENTILE = 99.0
"""An input is an outlier when its recommended score is above this percentile of the held-out
scores: about 1% false alarms on data like the held-out split."""

PERCENTILES = tuple(sorted({*(step / 2 for step in range(201)), 0.1, 99.9}))
"""The percentiles recorded: 0 to 100 every 0.5%, and 0.1% and 99.9% for the tails."""

MIN_EXAMPLES = 100
"""Fewer held-out examples than this give percentiles too coarse for a 1% threshold (the 99th
percentile of 20 scores is nearly their maximum); `zoo score` warns of such a record."""


@dataclasses.dataclass(frozen=True)
class HeldOutImages:
    """The held-out images an export's scores are recorded on, and where they come from.

    Attributes:
        batches: NHWC image batches, uint8 or float in [0, 1] (converted as `as_unit_floats`
            says); read once, when the export has a `score` signature.
        dataset: the data set's name, e.g. `mnist`.
        split: the split, e.g. `test[8000:]`.
        normal_class: the one label kept of the split (one-class training,
            `--normal-class`), or None for every example.
    """

    batches: Iterable[np.ndarray]
    dataset: str
    split: str
    normal_class: int | None = None


def as_unit_floats(images: Any) -> np.ndarray:
    """Images as the score signatures take them: float32 in [0, 1]; uint8 pixels are / 255.

    Example:
        >>> as_unit_floats(np.array([0, 255], np.uint8)).tolist()
        [0.0, 1.0]
    """
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255.0
    return images.astype(np.float32)


def _rounded(values: np.ndarray) -> list[float]:
    """Floats with 7 significant digits (float32's precision), for a readable zoo.json."""
    return [float(f"{value:.7g}") for value in np.asarray(values, np.float64)]


def quantile_record(scores: Mapping[str, np.ndarray], *, dataset: str, split: str,
                    normal_class: int | None = None, signature: str = SCORE_SIGNATURE
                    ) -> dict[str, Any]:
    """The record of the held-out distribution of each score output, as `zoo.json` keeps it.

    Args:
        scores: each output's per-example scores on the held-out examples, in the
            signature's output order; the first is the recommended one.
        dataset: the data set's name.
        split: the held-out split scored.
        normal_class: the one label kept of it, if any (recorded only then).
        signature: the signature the outputs come from.

    Returns:
        `{"signature", "recommended", "dataset", "split", ["normal_class",] "examples",
        "threshold_percentile", "percentiles": [...], "outputs": {name: [...]}}`,
        one value of each output per percentile.

    Raises:
        ValueError: no examples, outputs of different lengths, or a score that is
            NaN or infinite.

    Example:
        >>> record = quantile_record({"nll": np.arange(1000.0)}, dataset="mnist",
        ...                          split="test[8000:]")
        >>> record["recommended"], record["examples"], record["outputs"]["nll"][-1]
        ('nll', 1000, 999.0)
    """
    if not scores:
        raise ValueError("no score outputs to record")
    arrays = {name: np.asarray(values, np.float64).reshape(-1) for name, values in scores.items()}
    lengths = {len(values) for values in arrays.values()}
    if len(lengths) != 1:
        raise ValueError(f"the score outputs have different lengths: {sorted(lengths)}")
    count = lengths.pop()
    if not count:
        raise ValueError("no held-out examples were scored")
    for name, values in arrays.items():
        if not np.all(np.isfinite(values)):
            raise ValueError(f"{name!r} is NaN or infinite for "
                             f"{int(np.sum(~np.isfinite(values)))} held-out example(s)")
    return {
        "signature": signature,
        "recommended": next(iter(arrays)),
        "dataset": dataset,
        "split": split,
        **({} if normal_class is None else {"normal_class": normal_class}),
        "examples": count,
        "threshold_percentile": THRESHOLD_PERCENTILE,
        "percentiles": list(PERCENTILES),
        "outputs": {name: _rounded(np.percentile(values, PERCENTILES))
                    for name, values in arrays.items()},
    }


def check_record(record: Any) -> None:
    """Raises ValueError saying what is wrong unless `record` is a record `quantile_record`
    made (the checks `percentile` relies on: sorted values, one per percentile)."""
    if not isinstance(record, dict):
        raise ValueError(f"expected an object; got {type(record).__name__}")
    missing = sorted({"recommended", "percentiles", "outputs"} - set(record))
    if missing:
        raise ValueError(f"missing {', '.join(map(repr, missing))}")
    levels, outputs = record["percentiles"], record["outputs"]
    if not (isinstance(levels, list) and len(levels) >= 2 and levels[0] == 0
            and levels[-1] == 100 and all(isinstance(level, (int, float)) for level in levels)
            and all(a < b for a, b in zip(levels, levels[1:]))):
        raise ValueError("'percentiles' must be increasing numbers from 0 to 100")
    if not isinstance(outputs, dict) or record["recommended"] not in outputs:
        raise ValueError("'outputs' must hold the recommended output's values")
    for name, values in outputs.items():
        if not (isinstance(values, list) and len(values) == len(levels)
                and all(isinstance(value, (int, float)) and math.isfinite(value)
                        for value in values)
                and all(a <= b for a, b in zip(values, values[1:]))):
            raise ValueError(f"output {name!r} must have one finite value per percentile, "
                             "in increasing order")


def _output(record: Mapping[str, Any], output: str | None) -> str:
    output = record["recommended"] if output is None else output
    if output not in record["outputs"]:
        raise KeyError(f"no quantiles of {output!r} are recorded; of: "
                       f"{', '.join(record['outputs'])}")
    return output


def percentile(record: Mapping[str, Any], output: str | None, scores: Any) -> np.ndarray:
    """The percentile of each score among the held-out scores of `output`, 0 to 100.

    Interpolated linearly between the recorded percentiles; a score below every
    held-out one is 0, above every one 100, and a score equal to several recorded
    values (a tie) the middle of their percentiles.

    Args:
        record: an export's `score_quantiles` (`quantile_record`).
        output: the score output's name; None for the recommended one.
        scores: per-example scores of that output.

    Returns:
        float64 array of the scores' shape.

    Example:
        >>> record = quantile_record({"nll": np.arange(1001.0)}, dataset="d", split="s")
        >>> percentile(record, "nll", [-5.0, 10.0, 500.0, 995.0, 2000.0]).tolist()
        [0.0, 1.0, 50.0, 99.5, 100.0]
        >>> one = quantile_record({"nll": [7.0]}, dataset="d", split="s")  # every value tied
        >>> percentile(one, "nll", [6.0, 7.0, 8.0]).tolist()
        [0.0, 50.0, 100.0]
    """
    values = np.asarray(record["outputs"][_output(record, output)], np.float64)
    levels = np.asarray(record["percentiles"], np.float64)
    scores = np.asarray(scores, np.float64)
    unique, first = np.unique(values, return_index=True)
    last = len(values) - 1 - np.unique(values[::-1], return_index=True)[1]
    lower = np.interp(scores, unique, levels[first])
    upper = np.interp(scores, unique, levels[last])
    # Outside the held-out range, the ends: without this, a record whose lowest (or every)
    # value is tied (one held-out example) would put a score beyond it in the tie's middle.
    middle = np.where(scores < values[0], levels[0], (lower + upper) / 2)
    return np.where(scores > values[-1], levels[-1], middle)


def threshold(record: Mapping[str, Any], output: str | None = None) -> float:
    """The score above which an input is an outlier: the `THRESHOLD_PERCENTILE`th percentile
    of the held-out scores of `output` (None: the recommended one).

    Example:
        >>> threshold(quantile_record({"nll": np.arange(1001.0)}, dataset="d", split="s"))
        990.0
    """
    values = record["outputs"][_output(record, output)]
    return float(np.interp(THRESHOLD_PERCENTILE, record["percentiles"], values))


def outlier_verdicts(record: Mapping[str, Any], scores: Any, output: str | None = None
                     ) -> dict[str, np.ndarray]:
    """Each input's score, its percentile among typical data and whether it is an outlier.

    Args:
        record: an export's `score_quantiles`.
        scores: per-example scores of `output`.
        output: the score output judged; None for the recommended one, the one the
            documented threshold is for.

    Returns:
        `{"score": float32 array, "percentile": float64 array (0 to 100), "outlier":
        bool array}`: an input is an outlier when its score is above `threshold`,
        the 99th percentile of held-out scores (about 1% false alarms on typical data).

    Example:
        >>> record = quantile_record({"nll": np.arange(1001.0)}, dataset="d", split="s")
        >>> verdicts = outlier_verdicts(record, [500.0, 995.0])
        >>> verdicts["percentile"].tolist(), verdicts["outlier"].tolist()
        ([50.0, 99.5], [False, True])
    """
    scores = np.asarray(scores, np.float32).reshape(-1)
    return {"score": scores, "percentile": percentile(record, output, scores),
            "outlier": scores > threshold(record, output)}


def record_source(record: Mapping[str, Any]) -> str:
    """Where a record's held-out examples come from, as `zoo info` and `zoo score` say it: the
    data set and split, and the one label kept of it (`--normal-class`) if any.

    Example:
        >>> record_source(quantile_record({"nll": [1.0]}, dataset="mnist", split="test[8000:]",
        ...                               normal_class=3))
        'mnist test[8000:], label 3'
    """
    return f"{record.get('dataset', '?')} {record.get('split', '?')}" + (
        f", label {record['normal_class']}" if record.get("normal_class") is not None else "")


def thin_record_words(name: str, record: Mapping[str, Any] | None) -> str | None:
    """What to warn of a record resting on fewer than `MIN_EXAMPLES` held-out examples, where
    the threshold is nearly their largest score; None for a larger record, or none.

    Example:
        >>> thin_record_words("vae_mnist", quantile_record({"nll": [3.0]}, dataset="d",
        ...                                                 split="s")).split(";")[0]
        "vae_mnist's percentiles rest on 1 held-out example"
    """
    if record is None or record.get("examples", MIN_EXAMPLES) >= MIN_EXAMPLES:
        return None
    from zoo.console import plural

    return (f"{name}'s percentiles rest on {plural(record['examples'], 'held-out example')}; "
            f"with fewer than {MIN_EXAMPLES} the {THRESHOLD_PERCENTILE:g}th percentile is close "
            "to their largest score")


def by_output(result: Any, outputs: Sequence[str]) -> dict[str, Any]:
    """A score signature's result keyed by its declared output names, whether it came as a
    dict or, from a signature with one output (`zoo.load(...).call` gives that output's array
    alone; e.g. an autoencoder with the Gaussian loss scores by `reconstruction_error` only),
    as a bare array.

    Raises:
        ValueError: a bare array from a signature declaring several outputs, or a dict
            missing one of them.

    Example:
        >>> by_output(np.array([1.0, 2.0]), ("reconstruction_error",))
        {'reconstruction_error': array([1., 2.])}
        >>> by_output({"a": 1, "b": 2}, ("a", "b"))
        {'a': 1, 'b': 2}
    """
    outputs = tuple(outputs)
    if not isinstance(result, Mapping):
        if len(outputs) != 1:
            raise ValueError(f"the score signature declares the outputs {', '.join(outputs)} "
                             "but returned a single array")
        return {outputs[0]: result}
    missing = [name for name in outputs if name not in result]
    if missing:
        raise ValueError(f"the score signature returned no {', '.join(map(repr, missing))} "
                         f"(it returned {', '.join(map(repr, result))})")
    return {name: result[name] for name in outputs}


def score_batches(score: Callable[[np.ndarray], Any], batches: Iterable[Any],
                  outputs: Sequence[str]) -> dict[str, np.ndarray]:
    """Every batch of images scored: `score(float32 batch in [0, 1])` -> arrays by output name
    (or, for a signature with one output, that output's array alone; see `by_output`),
    concatenated over the batches in `outputs`' order."""
    outputs = tuple(outputs)
    collected: dict[str, list[np.ndarray]] = {name: [] for name in outputs}
    for batch in batches:
        result = by_output(score(as_unit_floats(batch)), outputs)
        for name in outputs:
            collected[name].append(np.asarray(result[name], np.float64).reshape(-1))
    if not collected[outputs[0]]:
        raise ValueError("no held-out images to score")
    return {name: np.concatenate(parts) for name, parts in collected.items()}


def image_batches(examples: Any, image_size: int | None, batch_size: int) -> Iterable[np.ndarray]:
    """The `image` feature of a split's examples (`zoo.data.examples.Examples`), batch by batch,
    as the training data layer gives it: read, resized and transformed, never augmented."""
    dataset = examples.evaluation(batch_size=batch_size, seed=0, image_size=image_size,
                                  preprocess=lambda batch, seed: dict(batch))
    for batch in dataset:
        if "image" not in batch:
            raise ValueError(f"the held-out examples have no 'image' feature to score (they "
                             f"have {', '.join(batch)})")
        yield batch["image"].numpy()


def scoring_signature(model: Any):
    """The declaration of a loaded export's `score` signature (`zoo.signatures.Signature`).

    Raises:
        zoo.errors.ConfigurationError: the export has none; the message names the
            entries whose exports score.
    """
    from zoo.errors import ConfigurationError

    if SCORE_SIGNATURE not in model.signatures:
        raise ConfigurationError(
            f"{model.name} (family {model.metadata['family']}) has no {SCORE_SIGNATURE!r} "
            f"signature (it has {', '.join(model.signatures)}), so it gives no outlier scores; "
            f"entries that score: {', '.join(scoring_entries()) or 'none'}.")
    return model.signatures[SCORE_SIGNATURE]


def scoring_entries() -> list[str]:
    """The entries with an export along the search order (`zoo.paths.search_roots`) whose
    newest version has a `score` signature, sorted; read from their `zoo.json` alone.

    Example:
        >>> "vae_mnist" in scoring_entries()
        True
    """
    import json

    from zoo.paths import find_entry, search_roots, versions
    from zoo.registry import NAME_PATTERN

    roots = search_roots()
    names = {path.name for root in roots if root.is_dir() for path in root.iterdir()
             if NAME_PATTERN.match(path.name)}
    found = []
    for name in sorted(names):
        entry_dir = find_entry(name, roots)
        if entry_dir is None or not versions(entry_dir):
            continue
        try:
            metadata = json.loads((entry_dir / str(versions(entry_dir)[-1]) / "zoo.json")
                                  .read_text())
            declared = [signature.get("name") for signature in metadata["signatures"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # a damaged export is reported when it is loaded, not here
        if SCORE_SIGNATURE in declared:
            found.append(name)
    return found
