"""The functions an export serves for its signature declarations, and their twins on bytes.

`serving_function` turns a `zoo.signatures.Signature` into the `tf.function` the
SavedModel holds: its inputs as `tf.TensorSpec`s, checked inside the graph (a
non-empty batch, the sizes, the value range, the batch sizes agreeing) so that
TF Serving's clients, which never see `zoo.input_checks`, get a clear error too.
The twins (`image_bytes_twin`, `png_grid_twin`) are signatures on encoded
images built from an array signature, for clients that hold files rather than
arrays.
"""

from __future__ import annotations

import weakref

import tensorflow as tf

from zoo.images import decode_image_tensor, encode_png_tensor, tile_tensor
from zoo.signatures import Signature, TensorInput, TensorOutput

IMAGE_BYTES = "image_bytes"
"""The input and output of the `*_bytes` signatures: one encoded image per example."""

PNG_BYTES = "png_bytes"
"""The output of the `*_png` signatures: one PNG of all the images."""

_SERVING_FUNCTIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""What `serving_function` made, by declaration, for as long as the declaration lives."""


def tensor_spec(spec: TensorInput) -> tf.TensorSpec:
    """The `tf.TensorSpec` of a declared input: its shape, dtype and name."""
    return tf.TensorSpec(spec.shape, tf.as_dtype(spec.dtype), name=spec.name)


def assert_in_graph(spec: TensorInput, tensor: tf.Tensor) -> list[tf.Operation]:
    """Checks of a declared input that run inside the exported graph: a non-empty batch, the
    sizes that must be multiples of `multiple_of`, then the range."""
    message = f"input {spec.expected()}"
    checks = []
    if spec.batched:
        checks.append(tf.debugging.assert_positive(
            tf.shape(tensor)[0], message=f"{message}; got an empty batch (0 examples): "
                                         "pass at least one"))
    if spec.multiple_of is not None:
        for axis in spec.free_dimensions:
            checks.append(tf.debugging.assert_equal(
                tf.shape(tensor)[axis] % spec.multiple_of, 0,
                message=f"{message}; got a size of axis {axis} that is not a multiple of "
                        f"{spec.multiple_of}"))
    if spec.minimum is not None:
        checks.append(tf.debugging.assert_greater_equal(
            tensor, tf.cast(spec.minimum, tensor.dtype), message=message))
    if spec.maximum is not None:
        checks.append(tf.debugging.assert_less_equal(
            tensor, tf.cast(spec.maximum, tensor.dtype), message=message))
    return checks


def serving_function(signature: Signature) -> tf.types.experimental.PolymorphicFunction:
    """The function to export for a declaration, with input checks and named inputs and outputs.

    One function per declaration, made on the first call: the twins of a signature
    (`image_bytes_twin`, `png_grid_twin`) call it, so an export holds its graph once
    and traces the model once for it.

    Raises:
        TypeError: when traced, if the computation returns an output of another
            dtype than declared (a bfloat16 image from a mixed-precision model, say).

    Example:
        >>> latent = TensorInput("latent", (None, 2), "float32", "latent vectors z")
        >>> double = Signature("double", "twice z", (latent,), ("doubled",),
        ...                    lambda latent: {"doubled": 2.0 * latent})
        >>> serving_function(double)(tf.ones([1, 2]))["doubled"].numpy().tolist()
        [[2.0, 2.0]]
        >>> serving_function(double) is serving_function(double)
        True
    """
    made = _SERVING_FUNCTIONS.get(signature)
    if made is not None:
        return made
    # The closure holds the declaration's parts, not the declaration: the cache's values
    # must not keep their keys alive.
    name, inputs, outputs, compute = (signature.name, signature.inputs, signature.outputs,
                                      signature.function)
    batched = [spec.name for spec in inputs if spec.batched]

    def serve(*args: tf.Tensor) -> dict[str, tf.Tensor]:
        named = {spec.name: arg for spec, arg in zip(inputs, args)}
        checks = [op for spec in inputs for op in assert_in_graph(spec, named[spec.name])]
        for other in batched[1:]:
            checks.append(tf.debugging.assert_equal(
                tf.shape(named[batched[0]])[0], tf.shape(named[other])[0],
                message=f"{name}() needs the same number of examples in "
                        f"{batched[0]!r} and {other!r}"))
        with tf.control_dependencies(checks):
            named = {key: tf.identity(value) for key, value in named.items()}
        result = compute(**named)
        for output in outputs:
            if result[output.name].dtype != tf.as_dtype(output.dtype):
                raise TypeError(f"{name}() computes {output.name!r} as "
                                f"{result[output.name].dtype.name}; its declaration says "
                                f"{output.dtype}.")
        return {output.name: result[output.name] for output in outputs}

    made = tf.function(serve, input_signature=[tensor_spec(spec) for spec in inputs])
    _SERVING_FUNCTIONS[signature] = made
    return made


def image_bytes_twin(array: Signature, size: int, channels: int, input_name: str = "images",
                     output_name: str = "images") -> Signature:
    """The `<name>_bytes` twin of an image-to-image signature: JPEG or PNG in, PNG out.

    For clients that hold encoded images rather than arrays (browsers, curl through
    TF Serving's REST API, where an input or output named `*_bytes` travels as
    `{"b64": ...}`). Each image is decoded with the model's channel count, resized to
    size x size (`zoo.images.decode_image_tensor`), passed through the array
    signature (its serving function, checks included, which the export then holds
    once), and encoded as PNG with `zoo.images.to_uint8`'s quantisation. The array
    signature's other inputs (a seed, say) are kept.

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
        >>> from zoo.signatures import image_input
        >>> images = image_input("images", (8, 8, 3), "photos")
        >>> translate = Signature("translate", "the translation", (images,), ("images",),
        ...                       lambda images: {"images": 1.0 - images})
        >>> twin = image_bytes_twin(translate, 8, 3)
        >>> twin.name, [spec.name for spec in twin.inputs], twin.outputs[0].dtype
        ('translate_bytes', ['image_bytes'], 'string')
    """
    name = f"{array.name}_bytes"
    kept = tuple(spec for spec in array.inputs if spec.name != input_name)
    encoded = TensorInput(IMAGE_BYTES, (None,), "string",
                          f"encoded JPEG or PNG images, grey or colour, each resized to "
                          f"{size}x{size}")

    def compute(**inputs: tf.Tensor) -> dict[str, tf.Tensor]:
        inputs[input_name] = decode_image_tensor(inputs.pop(IMAGE_BYTES), size, channels,
                                                 f"{name}() expects {encoded.expected()}")
        result = serving_function(array)(*[inputs[spec.name] for spec in array.inputs])
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
    def compute(**inputs: tf.Tensor) -> dict[str, tf.Tensor]:
        drawn = serving_function(array)(*[inputs[spec.name] for spec in array.inputs])
        return {PNG_BYTES: encode_png_tensor(tile_tensor(drawn[output_name]))}

    return Signature(f"{array.name}_png", f"{array.description}, as one PNG of their grid",
                     array.inputs,
                     (TensorOutput(PNG_BYTES, "string", "one PNG of the images as a grid, row "
                                   "by row, the smallest square that fits"),), compute)
