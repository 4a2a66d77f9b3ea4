"""The functions an export serves: the declared inputs checked inside the graph, the outputs'
dtypes checked when traced, and one function per declaration, which its twins share."""

from __future__ import annotations

import gc

import numpy as np
import pytest
import tensorflow as tf

from zoo.images import tile
from zoo.signature_graphs import _SERVING_FUNCTIONS, png_grid_twin, serving_function
from zoo.signatures import Signature, TensorInput

LATENT = TensorInput("latent", (None, 2), "float32", "latent vectors z", -3.0, 3.0)
LABELS = TensorInput("labels", (None,), "int32", "class of each image, 0 to 9", 0, 9)


def _generate(dtype: tf.DType = tf.float32) -> Signature:
    return Signature("generate", "images", (LATENT, LABELS), ("images",),
                     lambda latent, labels: {"images": tf.cast(
                         tf.reshape(latent, [-1, 1, 2, 1]), dtype)})


@pytest.mark.parametrize("latent, labels, message", [
    (tf.zeros([0, 2]), tf.zeros([0], tf.int32),
     r"latent vectors z, .*; got an empty batch \(0 examples\): pass at least one"),
    (tf.fill([1, 2], 4.0), tf.zeros([1], tf.int32),
     r"latent vectors z, float32 of shape \(batch, 2\) with values in \[-3.0, 3.0\]"),
    (tf.zeros([2, 2]), tf.zeros([1], tf.int32),
     r"generate\(\) needs the same number of examples in \\?'latent\\?' and "),
])
def test_the_graph_refuses_what_the_declaration_does_not_allow(latent, labels, message):
    # TensorFlow escapes the quotes of assertion messages.
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        serving_function(_generate())(latent, labels)


def test_an_output_of_another_dtype_than_declared_fails_at_export():
    with pytest.raises(TypeError, match=r"generate\(\) computes 'images' as bfloat16; its "
                                        r"declaration says float32"):
        serving_function(_generate(tf.bfloat16)).get_concrete_function()


def test_one_function_per_declaration_shared_by_its_twin_and_freed_with_it():
    generate = _generate()
    made = serving_function(generate)
    assert serving_function(generate) is made
    grid = png_grid_twin(generate)
    drawn = serving_function(grid)(tf.zeros([3, 2]), tf.zeros([3], tf.int32))["png_bytes"]
    assert tf.io.decode_png(drawn).shape == tile(np.zeros((3, 1, 2, 1))).shape
    assert made.experimental_get_tracing_count() == 1  # the twin called it, traced once
    held = len(_SERVING_FUNCTIONS)
    del generate, grid, made
    gc.collect()
    assert len(_SERVING_FUNCTIONS) == held - 2
