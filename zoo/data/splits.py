"""Split strings in tensorflow-datasets syntax (`train`, `test[:8000]`, `train[:80%]`), for every
source, so one split string means the same examples whether read through tensorflow-datasets
or from local files."""

from __future__ import annotations

import dataclasses
import re
from typing import Sequence

from zoo.errors import DataError

_SLICE = r"(?:\[(?P<start>-?\d+%?)?:(?P<stop>-?\d+%?)?\])?"


@dataclasses.dataclass(frozen=True)
class Split:
    """A parsed split string: a base split and an optional slice."""

    text: str
    base: str
    start: int | None
    stop: int | None
    percent: bool

    @property
    def spec(self) -> str:
        """The split in tensorflow-datasets syntax."""
        if self.start is None and self.stop is None:
            return self.base
        unit = "%" if self.percent else ""
        start = "" if self.start is None else f"{self.start}{unit}"
        stop = "" if self.stop is None else f"{self.stop}{unit}"
        return f"{self.base}[{start}:{stop}]"

    def indices(self, count: int) -> slice:
        """The slice of a base split of `count` examples, with tensorflow-datasets' rules."""
        bounds = []
        for bound in (self.start, self.stop):
            if bound is None:
                bounds.append(None)
                continue
            if self.percent:
                # Rounds to the closest example, like tensorflow-datasets' default.
                bound = int(round(bound * count / 100.0))
            elif abs(bound) > count:
                # tensorflow-datasets rejects out-of-range bounds instead of clipping them;
                # doing the same keeps one split string meaning the same for both sources.
                raise DataError(f"Split {self.text!r} asks for example {bound}, but split "
                                f"{self.base!r} has {count} examples.")
            bounds.append(bound)
        return slice(*bounds)


def parse_split(split: str, bases: Sequence[str], dataset: str) -> Split:
    """Parses `split` for a data set whose base splits are `bases`.

    Example:
        >>> parse_split("test[:8000]", ("train", "test"), "MNIST").indices(10000)
        slice(None, 8000, None)
    """
    forms = (f"{' or '.join(repr(base) for base in bases)}, optionally followed by one slice "
             f"with integer or percent bounds, e.g. '{bases[0]}[:100]', '{bases[-1]}[-10:]' or "
             f"'{bases[0]}[:80%]'")
    pattern = re.compile(f"(?P<base>{'|'.join(map(re.escape, bases))}){_SLICE}")
    match = pattern.fullmatch(split) if isinstance(split, str) else None
    if match is None:
        raise DataError(f"Unsupported {dataset} split {split!r}; expected {forms}.")
    start, stop = match["start"], match["stop"]
    given = [bound for bound in (start, stop) if bound is not None]
    percent = any(bound.endswith("%") for bound in given)
    if percent and not all(bound.endswith("%") for bound in given):
        raise DataError(f"Unsupported {dataset} split {split!r}: both bounds of a slice must be "
                        f"percents or both integers; expected {forms}.")
    start, stop = (None if bound is None else int(bound.rstrip("%")) for bound in (start, stop))
    if percent and any(abs(bound) > 100 for bound in (start, stop) if bound is not None):
        raise DataError(f"Unsupported {dataset} split {split!r}: percent bounds must lie in "
                        f"[-100%, 100%]; expected {forms}.")
    return Split(split, match["base"], start, stop, percent)


_ANY_SPLIT = re.compile(f"(?P<base>[A-Za-z_][\\w-]*){_SLICE}")


def _bounds(match: re.Match) -> tuple[tuple[float, float], tuple[float, float], int]:
    """A slice's start and stop as `a + b * N` of the base split's unknown size N, and the
    largest integer bound (N is at least that, or the split would have been refused)."""
    forms, smallest = [], 0
    for key, default in (("start", (0.0, 0.0)), ("stop", (0.0, 1.0))):
        text = match[key]
        if text is None:
            forms.append(default)
        elif text.endswith("%"):
            fraction = int(text[:-1]) / 100.0
            forms.append((0.0, fraction if fraction >= 0 else 1.0 + fraction))
        else:
            bound = int(text)
            smallest = max(smallest, abs(bound))
            forms.append((float(bound), 0.0) if bound >= 0 else (float(bound), 1.0))
    return forms[0], forms[1], smallest


def _less(left: tuple[float, float], right: tuple[float, float], size: int) -> bool | None:
    """Whether `left < right` for every base size from `size` on; None when that depends on it."""
    offset, slope = left[0] - right[0], left[1] - right[1]
    at_least = offset + slope * size  # the difference at the smallest size
    if slope == 0:
        return offset < 0
    if slope < 0 and at_least < 0:
        return True
    if slope > 0 and at_least >= 0:
        return False
    return None


def splits_overlap(first: str, second: str) -> bool | None:
    """Whether two split strings of one data set select common examples.

    True or False when the slices decide it whatever the base split's size;
    None when it depends on the size (integer bounds counted from both ends).

    Example:
        >>> splits_overlap("test[:2000]", "test"), splits_overlap("test[:8000]", "test[8000:]")
        (True, False)
        >>> splits_overlap("train[:80%]", "train[-20%:]"), splits_overlap("train", "test")
        (False, False)
        >>> splits_overlap("test[:100]", "test[-100:]") is None, splits_overlap("test", "test[3:3]")
        (True, False)
    """
    matches = [_ANY_SPLIT.fullmatch(split) for split in (first, second)]
    if None in matches or matches[0]["base"] != matches[1]["base"]:
        return False
    (start_1, stop_1, size_1), (start_2, stop_2, size_2) = (_bounds(m) for m in matches)
    size = max(size_1, size_2)
    # Two non-empty slices overlap when each starts before the other stops.
    verdicts = [_less(start_1, stop_1, size), _less(start_2, stop_2, size),
                _less(start_1, stop_2, size), _less(start_2, stop_1, size)]
    if False in verdicts:
        return False
    return None if None in verdicts else True


def complement(split: str) -> str | None:
    """The rest of the base split when `split` is its head or its tail, else None.

    Example:
        >>> complement("test[:2000]"), complement("train[80%:]"), complement("test[5:9]")
        ('test[2000:]', 'train[:80%]', None)
    """
    match = _ANY_SPLIT.fullmatch(split)
    if match is None or (match["start"] is None) == (match["stop"] is None):
        return None
    if match["start"] is None:
        return f"{match['base']}[{match['stop']}:]"
    return f"{match['base']}[:{match['start']}]"
