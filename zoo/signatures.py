"""Declarations of exported serving signatures, shared by export and `zoo.load`.

A family declares each signature once: its name, its named inputs with shape,
dtype and value range, and its named outputs. The exporter turns the inputs
into `tf.TensorSpec`s and into range checks inside the graph (so TF Serving
clients get a clear error too); the declarations are written beside the
SavedModel so `zoo.load` checks numpy inputs before they reach TensorFlow.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np
import tensorflow as tf

IMAGE_RANGE = (0.0, 1.0)
"""Images cross the serving boundary as NHWC float32 in [0, 1], whatever the model uses inside."""


@dataclasses.dataclass(frozen=True)
class TensorInput:
    """One named input of a signature.

    Attributes:
        name: the input's name in the SavedModel signature.
        shape: the shape, `None` for the batch (or any) dimension; `()` for a scalar.
        dtype: `float32`, `int32` or `int64`.
        minimum: smallest allowed value, or None.
        maximum: largest allowed value, or None.
        description: what the input is, for error messages and `saved_model_cli` readers.
    """

    name: str
    shape: tuple[int | None, ...]
    dtype: str
    description: str
    minimum: float | None = None
    maximum: float | None = None

    def spec(self) -> tf.TensorSpec:
        return tf.TensorSpec(self.shape, tf.as_dtype(self.dtype), name=self.name)

    def expected(self) -> str:
        shape = "(" + ", ".join("batch" if dim is None else str(dim) for dim in self.shape)
        shape += ",)" if len(self.shape) == 1 else ")"
        text = f"{self.name!r}: {self.description}, {self.dtype} of shape {shape}"
        if self.minimum is not None or self.maximum is not None:
            text += f" with values in [{self.minimum}, {self.maximum}]"
        return text

    def check(self, signature: str, value: Any) -> np.ndarray:
        """Converts a numpy-like value to this input's dtype, or raises ValueError."""
        array = np.asarray(value)
        expected = f"{signature}() expects {self.expected()}"
        wants_integer = self.dtype.startswith("int")
        if array.dtype.kind not in ("iu" if wants_integer else "iuf"):
            raise ValueError(f"{expected}; got dtype {array.dtype}.")
        if array.ndim != len(self.shape) or any(
            dim is not None and dim != got for dim, got in zip(self.shape, array.shape)
        ):
            raise ValueError(f"{expected}; got shape {array.shape}.")
        if array.size and not wants_integer and not np.all(np.isfinite(array)):
            raise ValueError(f"{expected}; got NaN or infinite values.")
        if array.size and self.minimum is not None and array.min() < self.minimum:
            raise ValueError(f"{expected}; got a minimum of {array.min()}.")
        if array.size and self.maximum is not None and array.max() > self.maximum:
            raise ValueError(f"{expected}; got a maximum of {array.max()}.")
        return array.astype(self.dtype)

    def assert_in_graph(self, tensor: tf.Tensor) -> list[tf.Operation]:
        """Range checks that run inside the exported graph."""
        message = f"input {self.expected()}"
        checks = []
        if self.minimum is not None:
            checks.append(tf.debugging.assert_greater_equal(
                tensor, tf.cast(self.minimum, tensor.dtype), message=message))
        if self.maximum is not None:
            checks.append(tf.debugging.assert_less_equal(
                tensor, tf.cast(self.maximum, tensor.dtype), message=message))
        return checks

    def to_json(self) -> dict:
        return dataclasses.asdict(self) | {"shape": list(self.shape)}

    @classmethod
    def from_json(cls, data: dict) -> "TensorInput":
        return cls(**data | {"shape": tuple(data["shape"])})


@dataclasses.dataclass(frozen=True)
class Signature:
    """A serving signature: `function(**inputs) -> {output name: tensor}`.

    Attributes:
        name: the signature key in the SavedModel.
        description: one line on what it computes.
        inputs: the named inputs, in call order.
        outputs: the names of the returned tensors.
        function: the computation, taking the inputs as keyword arguments.
    """

    name: str
    description: str
    inputs: tuple[TensorInput, ...]
    outputs: tuple[str, ...]
    function: Callable[..., dict[str, tf.Tensor]] | None = None

    def serving_function(self) -> tf.types.experimental.PolymorphicFunction:
        """The function to export, with input checks and named inputs and outputs."""
        inputs, outputs, compute = self.inputs, self.outputs, self.function

        def serve(*args: tf.Tensor) -> dict[str, tf.Tensor]:
            named = {spec.name: arg for spec, arg in zip(inputs, args)}
            checks = [op for spec in inputs for op in spec.assert_in_graph(named[spec.name])]
            with tf.control_dependencies(checks):
                named = {key: tf.identity(value) for key, value in named.items()}
            result = compute(**named)
            return {key: result[key] for key in outputs}

        return tf.function(serve, input_signature=[spec.spec() for spec in inputs])

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "inputs": [spec.to_json() for spec in self.inputs],
            "outputs": list(self.outputs),
        }

    @classmethod
    def from_json(cls, data: dict) -> "Signature":
        return cls(
            name=data["name"],
            description=data["description"],
            inputs=tuple(TensorInput.from_json(spec) for spec in data["inputs"]),
            outputs=tuple(data["outputs"]),
        )


def image_input(name: str, shape: tuple[int, int, int], description: str) -> TensorInput:
    """An NHWC float32 image batch in [0, 1]."""
    return TensorInput(name, (None, *shape), "float32", description, *IMAGE_RANGE)
