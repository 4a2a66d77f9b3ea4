"""Declarations of exported serving signatures and their JSON, shared by export and `zoo.load`.

A family declares each signature once: its name, its named inputs with shape,
dtype and value range, its named outputs, and the computation. The declarations
are written to the export's `zoo.json` and read back from it; three modules
act on them:

- `zoo.signature_graphs` (export): the function the SavedModel serves, with the
  inputs as `tf.TensorSpec`s and checked inside the graph, so TF Serving clients
  get a clear error too; and the twins on encoded images (`*_bytes`, `*_png`).
- `zoo.input_checks` (`zoo.load` and the TF Serving client in `zoo.serving`):
  numpy inputs checked and converted before they reach TensorFlow.

Batches: an input whose shape starts with `None` is a batch, one example per
row. An empty batch is refused, in `zoo.load` and in the graph alike, rather
than answered with an empty output: zero examples is almost always a mistake
upstream (an empty selection, a wrong slice) that an empty answer would only
carry further, and some computations (convolutions, the ELBO's mean over
draws) fail on it inside TensorFlow with an error that names no input. All
batched inputs of one signature must hold the same number of examples (in
`generate(latent, labels)`, one label per latent vector).

Strings: an input of dtype `string` holds bytes, one element per example (an
encoded JPEG or PNG for the `*_bytes` signatures); `zoo.load` passes Python
`bytes`, and TF Serving's REST API carries them as `{"b64": ...}`. An output
declares its dtype too: a `string` output holds encoded bytes (PNG images),
and its name ends in `_bytes` so that TF Serving's REST API sends it base64
encoded rather than as text.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    import tensorflow as tf

DTYPES = ("float32", "int32", "int64", "string")
"""The dtypes an input or output may declare."""

IMAGE_RANGE = (0.0, 1.0)
"""Images cross the serving boundary as NHWC float32 in [0, 1], whatever the model uses inside."""


@dataclasses.dataclass(frozen=True)
class TensorInput:
    """One named input of a signature.

    Attributes:
        name: the input's name in the SavedModel signature.
        shape: the shape, `None` for the batch (or any) dimension; `()` for a scalar.
        dtype: `float32`, `int32`, `int64` or `string` (bytes per element).
        minimum: smallest allowed value, or None.
        maximum: largest allowed value, or None.
        description: what the input is, for error messages and `saved_model_cli` readers.
        multiple_of: what the sizes of the dimensions declared `None` after the batch
            (an image's height and width) must be multiples of, or None for any size.
            A fully convolutional network that halves its input twice and doubles it
            back (CycleGAN's generators) returns the input's size only for multiples of 4.
        default: the value a caller may leave the input out for (a scalar, within the
            bounds), or None when it must be given. `zoo.load` and the serving client fill
            it in; a SavedModel signature itself has no optional inputs, so TF Serving
            requests built by hand must give every input.
    """

    name: str
    shape: tuple[int | None, ...]
    dtype: str
    description: str
    minimum: float | None = None
    maximum: float | None = None
    multiple_of: int | None = None
    default: float | None = None

    def __post_init__(self) -> None:
        if self.dtype == "string" and (self.minimum is not None or self.maximum is not None
                                       or self.multiple_of is not None
                                       or self.default is not None):
            raise ValueError(f"input {self.name!r}: a string input has no value range, size "
                             "rule or default; minimum, maximum, multiple_of and default must "
                             "be None")
        if self.default is not None:
            if self.shape != ():
                raise ValueError(f"input {self.name!r}: only a scalar input has a default")
            if isinstance(self.default, bool) or not isinstance(self.default, (int, float)) or (
                    self.dtype != "float32" and not float(self.default).is_integer()):
                raise ValueError(f"input {self.name!r}: default must be a number of dtype "
                                 f"{self.dtype}; got {self.default!r}")
            if ((self.minimum is not None and self.default < self.minimum)
                    or (self.maximum is not None and self.default > self.maximum)):
                raise ValueError(f"input {self.name!r}: default {self.default} is outside "
                                 f"[{self.minimum}, {self.maximum}]")

    def expected(self) -> str:
        """What the input must be, as the error messages about it say.

        Example:
            >>> TensorInput("labels", (None,), "int32", "classes", 0, 9).expected()
            "'labels': classes, int32 of shape (batch,) with values in [0, 9]"
        """
        free = "any" if self.multiple_of is None else f"a multiple of {self.multiple_of}"
        shape = "(" + ", ".join(str(dim) if dim is not None else "batch" if not index else free
                                for index, dim in enumerate(self.shape))
        shape += ",)" if len(self.shape) == 1 else ")"
        text = f"{self.name!r}: {self.description}, {self.dtype} of shape {shape}"
        if self.minimum is not None or self.maximum is not None:
            text += f" with values in [{self.minimum}, {self.maximum}]"
        if self.default is not None:
            text += f" (default {self.default})"
        return text

    @property
    def batched(self) -> bool:
        """Whether the first dimension is the batch (declared `None`)."""
        return bool(self.shape) and self.shape[0] is None

    @property
    def free_dimensions(self) -> tuple[int, ...]:
        """The axes after the first declared `None`: those `multiple_of` applies to."""
        return tuple(axis for axis, dim in enumerate(self.shape) if axis and dim is None)

    def to_json(self) -> dict:
        data = dataclasses.asdict(self) | {"shape": list(self.shape)}
        # Left out when unset, so that declarations without them read as before, in any zoo
        # version.
        for key in ("multiple_of", "default"):
            if data[key] is None:
                del data[key]
        return data

    @classmethod
    def from_json(cls, data: Any) -> "TensorInput":
        """The inverse of `to_json`; raises ValueError saying what does not parse."""
        _check_keys(data, {field.name for field in dataclasses.fields(cls)},
                    {"name", "shape", "dtype", "description"})
        shape = data["shape"]
        if not isinstance(data["name"], str) or not isinstance(data["description"], str):
            raise ValueError("'name' and 'description' must be strings")
        if not isinstance(shape, list) or not all(
                dim is None or (type(dim) is int and dim >= 0) for dim in shape):
            raise ValueError(f"'shape' must be a list of sizes or null; got {shape!r}")
        if data["dtype"] not in DTYPES:
            raise ValueError(f"'dtype' must be one of {', '.join(DTYPES)}; got {data['dtype']!r}")
        for bound in ("minimum", "maximum"):
            value = data.get(bound)
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, (int, float))):
                raise ValueError(f"{bound!r} must be a number or null; got {value!r}")
        multiple = data.get("multiple_of")
        if multiple is not None and (type(multiple) is not int or multiple < 1):
            raise ValueError(f"'multiple_of' must be an integer >= 1 or null; got {multiple!r}")
        return cls(**data | {"shape": tuple(shape)})


def _check_keys(data: Any, allowed: set[str], required: set[str]) -> None:
    """Raises ValueError unless `data` is a dict with the required keys and no others."""
    if not isinstance(data, dict):
        raise ValueError(f"expected an object; got {type(data).__name__}")
    missing, unknown = sorted(required - set(data)), sorted(set(data) - allowed)
    if missing:
        raise ValueError(f"missing {', '.join(map(repr, missing))}")
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(map(repr, unknown))}")


@dataclasses.dataclass(frozen=True)
class TensorOutput:
    """One named output of a signature.

    Attributes:
        name: the output's name in the SavedModel signature; a `string` output's ends
            in `_bytes`, which TF Serving's REST API sends base64 encoded.
        dtype: `float32` (the default) or another of `DTYPES`.
        description: what the output holds; empty for the plain float outputs.

    Example:
        >>> TensorOutput("images").to_json()
        'images'
        >>> TensorOutput("png_bytes", "string", "PNG").to_json()
        {'name': 'png_bytes', 'dtype': 'string', 'description': 'PNG'}
    """

    name: str
    dtype: str = "float32"
    description: str = ""

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise ValueError(f"output {self.name!r}: 'dtype' must be one of {', '.join(DTYPES)}; "
                             f"got {self.dtype!r}")
        if self.dtype == "string" and not self.name.endswith("_bytes"):
            raise ValueError(f"output {self.name!r}: a string output's name must end in "
                             "'_bytes', or TF Serving's REST API sends its bytes as text")

    def to_json(self) -> str | dict:
        """The name alone for a plain float output (as declarations were before outputs
        had dtypes, so that they read as before in any zoo version), else an object."""
        if (self.dtype, self.description) == ("float32", ""):
            return self.name
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> "TensorOutput":
        """The inverse of `to_json`; raises ValueError saying what does not parse."""
        if isinstance(data, str):
            return cls(data)
        _check_keys(data, {"name", "dtype", "description"}, {"name", "dtype"})
        if not isinstance(data["name"], str) or not isinstance(data.get("description", ""), str):
            raise ValueError("'name' and 'description' must be strings")
        return cls(**data)


@dataclasses.dataclass(frozen=True)
class Signature:
    """A serving signature: `function(**inputs) -> {output name: tensor}`.

    Attributes:
        name: the signature key in the SavedModel.
        description: one line on what it computes.
        inputs: the named inputs, in call order.
        outputs: the returned tensors; a plain name declares a float32 output.
        function: the computation, taking the inputs as keyword arguments.
    """

    name: str
    description: str
    inputs: tuple[TensorInput, ...]
    outputs: tuple[TensorOutput, ...]
    function: Callable[..., dict[str, tf.Tensor]] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "outputs", tuple(
            output if isinstance(output, TensorOutput) else TensorOutput(output)
            for output in self.outputs))

    @property
    def output_names(self) -> tuple[str, ...]:
        """The names of the outputs, in declaration order."""
        return tuple(output.name for output in self.outputs)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "inputs": [spec.to_json() for spec in self.inputs],
            "outputs": [output.to_json() for output in self.outputs],
        }

    @classmethod
    def from_json(cls, data: Any) -> "Signature":
        """The inverse of `to_json`; raises ValueError saying what does not parse."""
        _check_keys(data, {"name", "description", "inputs", "outputs"},
                    {"name", "description", "inputs", "outputs"})
        if not isinstance(data["name"], str) or not isinstance(data["description"], str):
            raise ValueError("'name' and 'description' must be strings")
        outputs = data["outputs"]
        if not isinstance(outputs, list) or not outputs:
            raise ValueError(f"'outputs' must be a non-empty list; got {outputs!r}")
        parsed = []
        for index, output in enumerate(outputs):
            try:
                parsed.append(TensorOutput.from_json(output))
            except ValueError as error:
                raise ValueError(f"output {index}: {error}") from None
        if not isinstance(data["inputs"], list):
            raise ValueError(f"'inputs' must be a list; got {type(data['inputs']).__name__}")
        inputs = []
        for index, spec in enumerate(data["inputs"]):
            try:
                inputs.append(TensorInput.from_json(spec))
            except ValueError as error:
                raise ValueError(f"input {index}: {error}") from None
        return cls(name=data["name"], description=data["description"],
                   inputs=tuple(inputs), outputs=tuple(parsed))


def image_input(name: str, shape: tuple[int, int, int], description: str) -> TensorInput:
    """An NHWC float32 image batch in [0, 1]."""
    return TensorInput(name, (None, *shape), "float32", description, *IMAGE_RANGE)
