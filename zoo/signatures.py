"""Declarations of exported serving signatures, shared by export and `zoo.load`.

A family declares each signature once: its name, its named inputs with shape,
dtype and value range, and its named outputs. The exporter turns the inputs
into `tf.TensorSpec`s and into range checks inside the graph (so TF Serving
clients get a clear error too); the declarations are written beside the
SavedModel so `zoo.load` checks numpy inputs before they reach TensorFlow.

Batches: an input whose shape starts with `None` is a batch, one example per
row. An empty batch is refused, in `zoo.load` and in the graph alike, rather
than answered with an empty output: zero examples is almost always a mistake
upstream (an empty selection, a wrong slice) that an empty answer would only
carry further, and some computations (convolutions, the ELBO's mean over
draws) fail on it inside TensorFlow with an error that names no input. All
batched inputs of one signature must hold the same number of examples (in
`generate(latent, labels)`, one label per latent vector).

Values are checked after the conversion to the declared dtype, so that what is
checked is what the model gets: a float64 of 1e300 is infinite as float32 and
refused, and an integer that does not fit an int32 input is refused instead of
wrapping around.

Strings: an input of dtype `string` holds bytes, one element per example (an
encoded JPEG or PNG for the `*_bytes` signatures); `zoo.load` passes Python
`bytes`, and TF Serving's REST API carries them as `{"b64": ...}`. An output
declares its dtype too: a `string` output holds encoded bytes (PNG images),
and its name ends in `_bytes` so that TF Serving's REST API sends it base64
encoded rather than as text.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np
import tensorflow as tf

from zoo.errors import InputError

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
    """

    name: str
    shape: tuple[int | None, ...]
    dtype: str
    description: str
    minimum: float | None = None
    maximum: float | None = None
    multiple_of: int | None = None

    def __post_init__(self) -> None:
        if self.dtype == "string" and (self.minimum is not None or self.maximum is not None
                                       or self.multiple_of is not None):
            raise ValueError(f"input {self.name!r}: a string input has no value range or size "
                             "rule; minimum, maximum and multiple_of must be None")

    def spec(self) -> tf.TensorSpec:
        return tf.TensorSpec(self.shape, tf.as_dtype(self.dtype), name=self.name)

    def expected(self) -> str:
        free = "any" if self.multiple_of is None else f"a multiple of {self.multiple_of}"
        shape = "(" + ", ".join(str(dim) if dim is not None else "batch" if not index else free
                                for index, dim in enumerate(self.shape))
        shape += ",)" if len(self.shape) == 1 else ")"
        text = f"{self.name!r}: {self.description}, {self.dtype} of shape {shape}"
        if self.minimum is not None or self.maximum is not None:
            text += f" with values in [{self.minimum}, {self.maximum}]"
        return text

    @property
    def batched(self) -> bool:
        """Whether the first dimension is the batch (declared `None`)."""
        return bool(self.shape) and self.shape[0] is None

    @property
    def free_dimensions(self) -> tuple[int, ...]:
        """The axes after the first declared `None`: those `multiple_of` applies to."""
        return tuple(axis for axis, dim in enumerate(self.shape) if axis and dim is None)

    def check(self, signature: str, value: Any) -> np.ndarray:
        """Converts a numpy-like value to this input's dtype, or raises InputError.

        Args:
            signature: the signature's name, for the message.
            value: anything `np.asarray` takes.

        Returns:
            The value as an array of the declared dtype.

        Raises:
            zoo.errors.InputError: wrong dtype kind or shape (sizes that are not
                multiples of `multiple_of` included), an empty batch, values that do
                not fit the dtype (integers out of its range, floats that overflow
                it), NaN, or values outside [minimum, maximum].

        Example:
            >>> latent = TensorInput("latent", (None, 2), "float32", "latent vectors z")
            >>> latent.check("decode", [[0.5, -1.0]]).dtype
            dtype('float32')
            >>> latent.check("decode", [[0.5, 1e300]])  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            zoo.errors.InputError: decode() expects 'latent': ...; got NaN or infinite values as ...
            >>> photos = TensorInput("images", (None, None, None, 3), "float32", "photos",
            ...                      multiple_of=4)
            >>> photos.check("a_to_b", np.zeros((1, 18, 20, 3)))  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            zoo.errors.InputError: ...; got shape (1, 18, 20, 3), whose 18 is not a multiple of 4.
        """
        expected = f"{signature}() expects {self.expected()}"
        if self.dtype == "string":
            return self._check_strings(expected, value)
        array = np.asarray(value)
        # First, as what else is wrong with no examples (`[]` is float64) matters less.
        if self.batched and array.ndim and array.shape[0] == 0:
            raise InputError(f"{expected}; got an empty batch (0 examples): pass at least one.")
        wants_integer = np.dtype(self.dtype).kind in "iu"
        if array.dtype.kind not in ("iu" if wants_integer else "iuf"):
            raise InputError(f"{expected}; got dtype {array.dtype}.")
        if array.ndim != len(self.shape) or any(
            dim is not None and dim != got for dim, got in zip(self.shape, array.shape)
        ):
            raise InputError(f"{expected}; got shape {array.shape}.")
        if self.multiple_of is not None:
            for axis in self.free_dimensions:
                if array.shape[axis] % self.multiple_of:
                    raise InputError(f"{expected}; got shape {array.shape}, whose "
                                     f"{array.shape[axis]} is not a multiple of "
                                     f"{self.multiple_of}.")
        converted = self._convert(expected, array)
        # Ranges are checked on the converted values: those are what the model gets.
        if converted.size and self.minimum is not None and converted.min() < self.minimum:
            raise InputError(f"{expected}; got a minimum of {converted.min()}.")
        if converted.size and self.maximum is not None and converted.max() > self.maximum:
            raise InputError(f"{expected}; got a maximum of {converted.max()}.")
        return converted

    def _check_strings(self, expected: str, value: Any) -> np.ndarray:
        """`value` as an object array of `bytes` (str elements encoded as UTF-8), or InputError.

        Lists are read element by element: numpy's own bytes arrays (dtype `S`) drop
        trailing zero bytes, which binary data may end with.
        """
        if self.batched and isinstance(value, (bytes, str)):
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
        if self.batched and array.ndim and array.shape[0] == 0:
            raise InputError(f"{expected}; got an empty batch (0 examples): pass at least one.")
        if array.ndim != len(self.shape) or any(
            dim is not None and dim != got for dim, got in zip(self.shape, array.shape)
        ):
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

    def _convert(self, expected: str, array: np.ndarray) -> np.ndarray:
        """`array` as the declared dtype; refuses values the conversion would change."""
        if np.dtype(self.dtype).kind in "iu":
            limits = np.iinfo(self.dtype)
            if array.size:
                # Python ints compare exactly across int64 and uint64; astype would wrap.
                low, high = int(array.min()), int(array.max())
                if low < limits.min or high > limits.max:
                    raise InputError(f"{expected}; got {low if low < limits.min else high}, "
                                     f"which does not fit {self.dtype}.")
            return array.astype(self.dtype)
        # float64 beyond float32's range becomes inf here, which the check below refuses.
        with np.errstate(over="ignore", invalid="ignore"):
            converted = array.astype(self.dtype)
        if converted.size and not np.all(np.isfinite(converted)):
            raise InputError(f"{expected}; got NaN or infinite values as {self.dtype} "
                             f"(largest magnitude {np.finfo(self.dtype).max:.2g}).")
        return converted

    def assert_in_graph(self, tensor: tf.Tensor) -> list[tf.Operation]:
        """Checks that run inside the exported graph: a non-empty batch, the sizes that must
        be multiples of `multiple_of`, then the range."""
        message = f"input {self.expected()}"
        checks = []
        if self.batched:
            checks.append(tf.debugging.assert_positive(
                tf.shape(tensor)[0], message=f"{message}; got an empty batch (0 examples): "
                                             "pass at least one"))
        if self.multiple_of is not None:
            for axis in self.free_dimensions:
                checks.append(tf.debugging.assert_equal(
                    tf.shape(tensor)[axis] % self.multiple_of, 0,
                    message=f"{message}; got a size of axis {axis} that is not a multiple of "
                            f"{self.multiple_of}"))
        if self.minimum is not None:
            checks.append(tf.debugging.assert_greater_equal(
                tensor, tf.cast(self.minimum, tensor.dtype), message=message))
        if self.maximum is not None:
            checks.append(tf.debugging.assert_less_equal(
                tensor, tf.cast(self.maximum, tensor.dtype), message=message))
        return checks

    def to_json(self) -> dict:
        data = dataclasses.asdict(self) | {"shape": list(self.shape)}
        if self.multiple_of is None:
            # Left out, so that declarations without it read as before, in any zoo version.
            del data["multiple_of"]
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

    def serving_function(self) -> tf.types.experimental.PolymorphicFunction:
        """The function to export, with input checks and named inputs and outputs.

        One function per declaration, made on the first call: the twins of a signature
        (`image_bytes_twin`, `png_grid_twin`) call it, so an export holds its graph once
        and traces the model once for it.

        Raises:
            TypeError: when traced, if the computation returns an output of another
                dtype than declared (a bfloat16 image from a mixed-precision model, say).
        """
        made = self.__dict__.get("_serving_function")
        if made is not None:
            return made
        inputs, outputs, compute = self.inputs, self.outputs, self.function

        batched = [spec.name for spec in inputs if spec.batched]

        def serve(*args: tf.Tensor) -> dict[str, tf.Tensor]:
            named = {spec.name: arg for spec, arg in zip(inputs, args)}
            checks = [op for spec in inputs for op in spec.assert_in_graph(named[spec.name])]
            for other in batched[1:]:
                checks.append(tf.debugging.assert_equal(
                    tf.shape(named[batched[0]])[0], tf.shape(named[other])[0],
                    message=f"{self.name}() needs the same number of examples in "
                            f"{batched[0]!r} and {other!r}"))
            with tf.control_dependencies(checks):
                named = {key: tf.identity(value) for key, value in named.items()}
            result = compute(**named)
            for output in outputs:
                if result[output.name].dtype != tf.as_dtype(output.dtype):
                    raise TypeError(f"{self.name}() computes {output.name!r} as "
                                    f"{result[output.name].dtype.name}; its declaration says "
                                    f"{output.dtype}.")
            return {output.name: result[output.name] for output in outputs}

        made = tf.function(serve, input_signature=[spec.spec() for spec in inputs])
        # Not a field: a cache, left out of comparisons and of the frozen fields.
        object.__setattr__(self, "_serving_function", made)
        return made

    def check_inputs(self, values: dict[str, Any]) -> dict[str, np.ndarray]:
        """Checks and converts every input (see `TensorInput.check`), and the batch sizes.

        Args:
            values: a value for each input, by name.

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
            >>> generate.check_inputs(values)  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            zoo.errors.InputError: generate() needs ... in 'latent' and 'labels'; got 1 and 2.
        """
        checked = {spec.name: spec.check(self.name, values[spec.name]) for spec in self.inputs}
        sizes = {spec.name: len(checked[spec.name]) for spec in self.inputs if spec.batched}
        first = next(iter(sizes), None)
        for other, size in sizes.items():
            if size != sizes[first]:
                raise InputError(f"{self.name}() needs the same number of examples in {first!r} "
                                 f"and {other!r}; got {sizes[first]} and {size}.")
        return checked

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


IMAGE_BYTES = "image_bytes"
"""The input and output of the `*_bytes` signatures: one encoded image per example."""

PNG_BYTES = "png_bytes"
"""The output of the `*_png` signatures: one PNG of all the images."""


def image_bytes_twin(array: Signature, size: int, channels: int, input_name: str = "images",
                     output_name: str = "images") -> Signature:
    """The `<name>_bytes` twin of an image-to-image signature: JPEG or PNG in, PNG out.

    For clients that hold encoded images rather than arrays (browsers, curl through
    TF Serving's REST API, where an input or output named `*_bytes` travels as
    `{"b64": ...}`). Each image is decoded with the model's channel count, resized to
    size x size (`zoo.images.decode_image_tensor`), passed through the array
    signature (its function, checks included, which the export then holds once), and
    encoded as PNG with `zoo.images.to_uint8`'s quantisation. The array signature's
    other inputs (a seed, say) are kept.

    Args:
        array: the signature on [0, 1] float images.
        size: the height and width images are resized to, the model's image size.
        channels: the channel count images are decoded with, the model's.
        input_name: the name of `array`'s image input.
        output_name: the name of `array`'s image output.

    Returns:
        The twin: `image_bytes` (a batch of strings) and `array`'s other inputs in,
        `image_bytes` out.

    Example:
        >>> images = image_input("images", (8, 8, 3), "photos")
        >>> translate = Signature("translate", "the translation", (images,), ("images",),
        ...                       lambda images: {"images": 1.0 - images})
        >>> twin = image_bytes_twin(translate, 8, 3)
        >>> twin.name, [spec.name for spec in twin.inputs], twin.outputs[0].dtype
        ('translate_bytes', ['image_bytes'], 'string')
    """
    from zoo.images import decode_image_tensor, encode_png_tensor

    name = f"{array.name}_bytes"
    kept = tuple(spec for spec in array.inputs if spec.name != input_name)
    encoded = TensorInput(IMAGE_BYTES, (None,), "string",
                          f"encoded JPEG or PNG images, grey or colour, each resized to "
                          f"{size}x{size}")

    def compute(**inputs: tf.Tensor) -> dict[str, tf.Tensor]:
        inputs[input_name] = decode_image_tensor(inputs.pop(IMAGE_BYTES), size, channels,
                                                 f"{name}() expects {encoded.expected()}")
        result = array.serving_function()(*[inputs[spec.name] for spec in array.inputs])
        return {IMAGE_BYTES: encode_png_tensor(result[output_name])}

    return Signature(name, f"{array.description}; encoded images in, a PNG of each out",
                     (encoded, *kept),
                     (TensorOutput(IMAGE_BYTES, "string", "a PNG of each result"),), compute)


def png_grid_twin(array: Signature, output_name: str = "images") -> Signature:
    """The `<name>_png` twin of a signature that draws images: one PNG of their grid.

    The same inputs as `array` (a count and a seed, say), and the same images, laid
    out as `zoo.images.tile` does and quantised as `zoo.images.to_uint8`.

    Args:
        array: a signature returning a batch of images in [0, 1].
        output_name: the name of `array`'s image output.

    Returns:
        The twin, whose one output `png_bytes` is a scalar string.

    Example:
        >>> count = TensorInput("count", (), "int32", "number of images", 1, 16)
        >>> sample = Signature("sample", "images", (count,), ("images",),
        ...                    lambda count: {"images": tf.zeros([count, 4, 4, 1])})
        >>> twin = png_grid_twin(sample)
        >>> twin.name, twin.output_names
        ('sample_png', ('png_bytes',))
    """
    from zoo.images import encode_png_tensor, tile_tensor

    def compute(**inputs: tf.Tensor) -> dict[str, tf.Tensor]:
        drawn = array.serving_function()(*[inputs[spec.name] for spec in array.inputs])
        return {PNG_BYTES: encode_png_tensor(tile_tensor(drawn[output_name]))}

    return Signature(f"{array.name}_png", f"{array.description}, as one PNG of their grid",
                     array.inputs,
                     (TensorOutput(PNG_BYTES, "string", "one PNG of the images as a grid, row "
                                   "by row, the smallest square that fits"),), compute)
