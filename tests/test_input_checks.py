"""Input checks: what zoo.load and the TF Serving client refuse before TensorFlow sees it. The
in-graph checks are test_signature_graphs.py's, and run on real exports in test_loading.py and
families/test_gan_export.py."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from zoo.errors import InputError
from zoo.input_checks import check_input, check_inputs
from zoo.signatures import Signature, TensorInput, image_input

LATENT = TensorInput("latent", (None, 2), "float32", "latent vectors z")
LABELS = TensorInput("labels", (None,), "int32", "class of each image, 0 to 9", 0, 9)
SEED = TensorInput("seed", (), "int64", "random seed")
IMAGES = image_input("images", (2, 2, 1), "images")
GENERATE = Signature("generate", "images", (LATENT, LABELS), ("images",))
ENCODED = TensorInput("image_bytes", (None,), "string", "encoded images")


@pytest.mark.parametrize("spec, empty", [(LATENT, np.zeros((0, 2))), (LABELS, []),
                                         (IMAGES, np.zeros((0, 2, 2, 1)))])
def test_an_empty_batch_is_refused_naming_the_input(spec, empty):
    with pytest.raises(InputError, match=rf"decode\(\) expects '{spec.name}'.*; got an empty "
                                         r"batch \(0 examples\): pass at least one\."):
        check_input(spec, "decode", empty)


def test_batched_inputs_must_hold_as_many_examples():
    with pytest.raises(InputError, match=r"^generate\(\) needs the same number of examples in "
                                         r"'latent' and 'labels'; got 3 and 2\.$"):
        check_inputs(GENERATE, {"latent": np.zeros((3, 2)), "labels": [1, 2]})
    checked = check_inputs(GENERATE, {"latent": np.zeros((2, 2)), "labels": [1, 2]})
    assert list(checked) == ["latent", "labels"]
    assert (checked["latent"].dtype, checked["labels"].dtype) == (np.float32, np.int32)


def test_float64_is_checked_after_the_cast_to_float32():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's overflow warning must not reach the user
        with pytest.raises(InputError, match=r"'latent'.*got NaN or infinite values as float32 "
                                             r"\(largest finite magnitude 1e\+300, beyond "
                                             r"float32's 3.4e\+38\)\.$"):
            check_input(LATENT, "decode", np.array([[0.0, 1e300]]))
        with pytest.raises(InputError, match=r"'images'.*got NaN or infinite values as float32"):
            check_input(IMAGES, "reconstruct", np.full((1, 2, 2, 1), -1e300))
    # What passes is what the model gets: 1 + 1e-10 is 1.0 in float32, inside [0, 1].
    assert check_input(IMAGES, "reconstruct", np.full((1, 2, 2, 1), 1 + 1e-10)).max() == 1.0


@pytest.mark.parametrize("value, told", [
    (np.full((1, 2), np.nan, np.float32), "float32."),  # no finite value, so no figure
    (np.array([[np.inf, -0.5]]), r"float32 \(largest finite magnitude 0.5\)\."),
])
def test_nan_and_infinity_are_refused_naming_only_values_the_input_has(value, told):
    with pytest.raises(InputError, match=rf"'latent'.*; got NaN or infinite values as {told}$"):
        check_input(LATENT, "decode", value)


def test_a_scalar_out_of_range_is_shown_as_itself():
    label = TensorInput("label", (), "int32", "class, 0 to 9", 0, 9)
    with pytest.raises(InputError, match=r"'label'.*values in \[0, 9\]; got 12\.$"):
        check_input(label, "sample", 12)
    with pytest.raises(InputError, match=r"'label'.*; got -1\.$"):
        check_input(label, "sample", -1)
    with pytest.raises(InputError, match=r"'labels'.*; got a maximum of 12\.$"):
        check_input(LABELS, "generate", [3, 12])


@pytest.mark.parametrize("spec, value, shown", [
    (LABELS, np.array([2**40]), 2**40),
    (LABELS, np.array([-(2**40)], np.int64), -(2**40)),
    (SEED, np.uint64(2**63), 2**63),
])
def test_integers_that_do_not_fit_the_dtype_are_refused_not_wrapped(spec, value, shown):
    with pytest.raises(InputError, match=rf"'{spec.name}'.*; got {shown}, which does not fit "
                                         rf"{spec.dtype}\."):
        check_input(spec, "generate", value)


def test_integers_that_fit_are_converted():
    assert check_input(SEED, "sample", np.uint64(2**63 - 1)) == 2**63 - 1
    np.testing.assert_array_equal(check_input(LABELS, "generate", np.array([0, 9], np.uint64)),
                                  [0, 9])


def test_string_inputs_take_bytes_and_str_and_keep_every_byte():
    checked = check_input(ENCODED, "translate_bytes",
                          [b"\x89PNG\x00\x00", "caf\u00e9", np.bytes_(b"x")])
    assert checked.dtype == object
    # Trailing zero bytes stay (numpy's own bytes arrays would drop them); str is UTF-8.
    assert checked.tolist() == [b"\x89PNG\x00\x00", "caf\u00e9".encode(), b"x"]
    np.testing.assert_array_equal(check_input(ENCODED, "x", np.array([b"ab"], object)), [b"ab"])


@pytest.mark.parametrize("value, message", [
    (b"\x89PNG", r"got one bytes object rather than a batch: pass a list of them, e.g. \[data\]"),
    ([], r"got an empty batch \(0 examples\): pass at least one"),
    ([b"a", 3], r"got int at index 1, not bytes"),
    ([[b"a"], [b"b"]], r"got shape \(2, 1\)"),
    (np.zeros(2), r"got dtype float64"),
])
def test_string_inputs_refuse_what_is_not_a_batch_of_bytes(value, message):
    with pytest.raises(InputError, match=rf"^translate_bytes\(\) expects 'image_bytes': encoded "
                                         rf"images, string of shape \(batch,\); {message}\.$"):
        check_input(ENCODED, "translate_bytes", value)


def test_an_input_with_a_default_may_be_left_out_and_gets_it():
    steps = TensorInput("steps", (), "int32", "sampling steps", 1, 1000, default=20)
    sample = Signature("sample", "images", (SEED, steps), ("images",))
    checked = check_inputs(sample, {"seed": 3})
    assert list(checked) == ["seed", "steps"] and checked["steps"] == 20
    assert checked["steps"].dtype == np.int32
    assert check_inputs(sample, {"seed": 3, "steps": 5})["steps"] == 5
    with pytest.raises(InputError, match=r"^sample\(\) needs 'seed'; got 'steps'\.$"):
        check_inputs(sample, {"steps": 5})
