"""Checks of configuration values that name the argument and the value they refuse.

Example:
    >>> integer("latent_dim", 16, minimum=1)
    16
    >>> integer("latent_dim", "abc", minimum=1)
    Traceback (most recent call last):
    ...
    zoo.errors.ConfigurationError: latent_dim must be an integer >= 1; got 'abc'.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable, Sequence

from zoo.errors import ConfigurationError


def _bounds(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" in [{minimum}, {maximum}]"
    if minimum is not None:
        return f" >= {minimum}"
    if maximum is not None:
        return f" <= {maximum}"
    return ""


def integer(name: str, value: Any, minimum: int | None = None, maximum: int | None = None) -> int:
    """`value` as an int, if it is an integer (not a bool) within the bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or (
            minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ConfigurationError(f"{name} must be an integer{_bounds(minimum, maximum)}; "
                                 f"got {value!r}.")
    return int(value)


def number(name: str, value: Any, minimum: float | None = None, maximum: float | None = None,
           *, below: float | None = None) -> float:
    """`value` as a finite float within the bounds (`below` is an exclusive upper bound)."""
    valid = (not isinstance(value, bool) and isinstance(value, numbers.Real)
             and math.isfinite(value)
             and (minimum is None or value >= minimum) and (maximum is None or value <= maximum)
             and (below is None or value < below))
    if not valid:
        bounds = _bounds(minimum, maximum) if below is None else (
            f" in [{minimum}, {below})" if minimum is not None else f" < {below}")
        raise ConfigurationError(f"{name} must be a finite number{bounds}; got {value!r}.")
    return float(value)


def integers(name: str, value: Any, minimum: int = 1, length: int | None = None,
             allow_empty: bool = False) -> tuple[int, ...]:
    """`value` as a tuple of ints >= `minimum` (of `length` items, if given)."""
    what = f"a sequence of {length} integers" if length is not None else (
        "a sequence of integers" if allow_empty else "a non-empty sequence of integers")
    problem = not isinstance(value, Sequence) or isinstance(value, str)
    if not problem:
        problem = (length is not None and len(value) != length) or (not allow_empty and not value)
    if not problem:
        problem = any(isinstance(item, bool) or not isinstance(item, numbers.Integral)
                      or item < minimum for item in value)
    if problem:
        raise ConfigurationError(f"{name} must be {what} >= {minimum}; got {value!r}.")
    return tuple(int(item) for item in value)


def choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """`value` if it is one of `choices`."""
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        raise ConfigurationError(f"Unknown {name} {value!r}; choose one of {', '.join(choices)}.")
    return value


def seed(name: str, value: Any) -> int | None:
    """None or a non-negative integer seed."""
    return None if value is None else integer(name, value, minimum=0)


def non_finite_variables(variables: Iterable[Any]) -> list[str]:
    """The paths (or names) of the floating-point variables that hold NaN or infinite values.

    Example:
        >>> import keras
        >>> non_finite_variables([keras.Variable([1.0, float("nan")], name="kernel")])
        ['kernel']
    """
    import numpy as np

    bad = []
    for variable in variables:
        values = np.asarray(variable)
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            bad.append(getattr(variable, "path", None) or variable.name)
    return bad
