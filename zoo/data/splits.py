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
