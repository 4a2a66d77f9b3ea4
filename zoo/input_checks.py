"""Numpy inputs checked against a signature's declaration, before they reach TensorFlow.

`zoo.load`'s models and the TF Serving client (`zoo.serving`) both check what
they are given here, so a wrong input gets the same message from either.

Values are checked after the conversion to the declared dtype, so that what is
checked is what the model gets: a float64 of 1e300 is infinite as float32 and
refused, and an integer that does not fit an int32 input is refused instead of
wrapping around.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zoo.errors import InputError
from zoo.signatures import Signature, TensorInput


def check_inputs(signature: Signature, values: dict[str, Any]) -> dict[str, np.ndarray]:
    """Checks and converts every input (see `check_input`), and the batch sizes.

    Args:
        signature: the declaration to check against.
        values: a value for each input, by name; an input with a declared default may be
            left out, and gets it.

    Returns:
        The converted arrays, by name, in declaration order.

    Raises:
        zoo.errors.InputError: an input does not match its declaration, or the
            batched inputs hold different numbers of examples.

    Example:
        >>> latent = TensorInput("latent", (None, 2), "float32", "latent vectors z")
        >>> labels = TensorInput("labels", (None,), "int32", "classes", 0, 9)
        >>> generate = Signature("generate", "images", (latent, labels), ("images",))
        >>> values = {"latent": [[0.0, 1.0]], "labels": [3, 4]}
        >>> check_inputs(generate, values)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        zoo.errors.InputError: generate() needs ... in 'latent' and 'labels'; got 1 and 2.
    """
    missing = [spec.name for spec in signature.inputs
               if spec.name not in values and spec.default is None]
    if missing:
        raise InputError(f"{signature.name}() needs {', '.join(map(repr, missing))}; got "
                         f"{', '.join(map(repr, values)) or 'no inputs'}.")
    checked = {spec.name: check_input(spec, signature.name,
                                      values[spec.name] if spec.name in values else spec.default)
               for spec in signature.inputs}
    sizes = {spec.name: len(checked[spec.name]) for spec in signature.inputs if spec.batched}
    first = next(iter(sizes), None)
    for other, size in sizes.items():
        if size != sizes[first]:
            raise InputError(f"{signature.name}() needs the same number of examples in "
                             f"{first!r} and {other!r}; got {sizes[first]} and {size}.")
    return checked


def check_input(spec: TensorInput, signature: str, value: Any) -> np.ndarray:
    """Converts a numpy-like value to the input's declared dtype, or raises InputError.

    Args:
        spec: the input's declaration.
        signature: the signature's name, for the message.
        value: anything `np.asarray` takes; bytes (or str) for a string input.

    Returns:
        The value as an array of the declared dtype (an object array of `bytes` for
        a string input).

    Raises:
        zoo.errors.InputError: wrong dtype kind or shape (sizes that are not
            multiples of `multiple_of` included), an empty batch, values that do
            not fit the dtype (integers out of its range, floats that overflow
            it), NaN, or values outside [minimum, maximum].

    Example:
        >>> latent = TensorInput("latent", (None, 2), "float32", "latent vectors z")
        >>> check_input(latent, "decode", [[0.5, -1.0]]).dtype
        dtype('float32')
        >>> check_input(latent, "decode", [[0.5, 1e300]])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        zoo.errors.InputError: decode() expects 'latent': ...; got NaN or infinite values as ...
        >>> photos = TensorInput("images", (None, None, None, 3), "float32", "photos",
        ...                      multiple_of=4)
        >>> check_input(photos, "a_to_b", np.zeros((1, 18, 20, 3)))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        zoo.errors.InputError: ...; got shape (1, 18, 20, 3), whose 18 is not a multiple of 4.
    """
    expected = f"{signature}() expects {spec.expected()}"
    if spec.dtype == "string":
        return _check_strings(spec, expected, value)
    array = np.asarray(value)
    # First, as what else is wrong with no examples (`[]` is float64) matters less.
    if spec.batched and array.ndim and array.shape[0] == 0:
        raise InputError(f"{expected}; got an empty batch (0 examples): pass at least one.")
    wants_integer = np.dtype(spec.dtype).kind in "iu"
    if array.dtype.kind not in ("iu" if wants_integer else "iuf"):
        raise InputError(f"{expected}; got dtype {array.dtype}.")
    if not _fits_shape(spec, array):
        raise InputError(f"{expected}; got shape {array.shape}.")
    if spec.multiple_of is not None:
        for axis in spec.free_dimensions:
            if array.shape[axis] % spec.multiple_of:
                raise InputError(f"{expected}; got shape {array.shape}, whose "
                                 f"{array.shape[axis]} is not a multiple of "
                                 f"{spec.multiple_of}.")
    converted = _convert(spec, expected, array)
    # Ranges are checked on the converted values: those are what the model gets.
    # A scalar is its own minimum and maximum: "got 12" rather than "got a maximum of 12".
    if converted.size and spec.minimum is not None and converted.min() < spec.minimum:
        got = "" if converted.ndim == 0 else "a minimum of "
        raise InputError(f"{expected}; got {got}{converted.min()}.")
    if converted.size and spec.maximum is not None and converted.max() > spec.maximum:
        got = "" if converted.ndim == 0 else "a maximum of "
        raise InputError(f"{expected}; got {got}{converted.max()}.")
    return converted


def _fits_shape(spec: TensorInput, array: np.ndarray) -> bool:
    """Whether `array` has the declared rank and the declared size on every fixed axis."""
    return array.ndim == len(spec.shape) and all(
        dim is None or dim == got for dim, got in zip(spec.shape, array.shape))


def _check_strings(spec: TensorInput, expected: str, value: Any) -> np.ndarray:
    """`value` as an object array of `bytes` (str elements encoded as UTF-8), or InputError.

    Lists are read element by element: numpy's own bytes arrays (dtype `S`) drop
    trailing zero bytes, which binary data may end with.
    """
    if spec.batched and isinstance(value, (bytes, str)):
        raise InputError(f"{expected}; got one {type(value).__name__} object rather than a "
                         "batch: pass a list of them, e.g. [data].")
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "SUO":
            raise InputError(f"{expected}; got dtype {value.dtype}.")
        array = value
    elif isinstance(value, (list, tuple)):
        try:
            array = np.asarray(value, dtype=object)
        except ValueError:  # nested lists of different lengths
            raise InputError(f"{expected}; got nested lists of different lengths.") from None
    else:
        array = np.empty((), object)  # one element, for a scalar input
        array[()] = value
    if spec.batched and array.ndim and array.shape[0] == 0:
        raise InputError(f"{expected}; got an empty batch (0 examples): pass at least one.")
    if not _fits_shape(spec, array):
        raise InputError(f"{expected}; got shape {array.shape}.")
    converted = np.empty(array.shape, object)
    for index, element in np.ndenumerate(array):
        if isinstance(element, str):
            element = element.encode("utf-8")
        if not isinstance(element, bytes):
            where = f" at index {index[0] if len(index) == 1 else index}" if index else ""
            raise InputError(f"{expected}; got {type(element).__name__}{where}, not bytes.")
        converted[index] = element
    return converted


def _convert(spec: TensorInput, expected: str, array: np.ndarray) -> np.ndarray:
    """`array` as the declared dtype; refuses values the conversion would change."""
    if np.dtype(spec.dtype).kind in "iu":
        limits = np.iinfo(spec.dtype)
        if array.size:
            # Python ints compare exactly across int64 and uint64; astype would wrap.
            low, high = int(array.min()), int(array.max())
            if low < limits.min or high > limits.max:
                raise InputError(f"{expected}; got {low if low < limits.min else high}, "
                                 f"which does not fit {spec.dtype}.")
        return array.astype(spec.dtype)
    # float64 beyond float32's range becomes inf here, which the check below refuses.
    with np.errstate(over="ignore", invalid="ignore"):
        converted = array.astype(spec.dtype)
    if converted.size and not np.all(np.isfinite(converted)):
        raise InputError(f"{expected}; got NaN or infinite values as {spec.dtype}"
                         f"{_largest_finite(array, spec.dtype)}.")
    return converted


def _largest_finite(array: np.ndarray, dtype: str) -> str:
    """` (largest finite magnitude 1e+300, beyond float32's 3.4e+38)`, of the values given.

    Empty when none is finite: a figure no value has would mislead.
    """
    finite = array[np.isfinite(array)]
    if not finite.size:
        return ""
    largest = float(np.abs(finite).max())
    limit = float(np.finfo(dtype).max)
    beyond = f", beyond {dtype}'s {limit:.2g}" if largest > limit else ""
    return f" (largest finite magnitude {largest:.2g}{beyond})"
