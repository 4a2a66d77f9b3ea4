"""Input declarations: what zoo.load refuses before TensorFlow sees it, and declarations that
do not parse. The in-graph checks are exercised on real exports in test_loading.py and
families/test_gan_export.py."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from zoo.errors import InputError
from zoo.signatures import Signature, TensorInput, image_input

LATENT = TensorInput("latent", (None, 2), "float32", "latent vectors z")
LABELS = TensorInput("labels", (None,), "int32", "class of each image, 0 to 9", 0, 9)
SEED = TensorInput("seed", (), "int64", "random seed")
IMAGES = image_input("images", (2, 2, 1), "images")
GENERATE = Signature("generate", "images", (LATENT, LABELS), ("images",))


@pytest.mark.parametrize("spec, empty", [(LATENT, np.zeros((0, 2))), (LABELS, []),
                                         (IMAGES, np.zeros((0, 2, 2, 1)))])
def test_an_empty_batch_is_refused_naming_the_input(spec, empty):
    with pytest.raises(InputError, match=rf"decode\(\) expects '{spec.name}'.*; got an empty "
                                         r"batch \(0 examples\): pass at least one\."):
        spec.check("decode", empty)


def test_batched_inputs_must_hold_as_many_examples():
    with pytest.raises(InputError, match=r"^generate\(\) needs the same number of examples in "
                                         r"'latent' and 'labels'; got 3 and 2\.$"):
        GENERATE.check_inputs({"latent": np.zeros((3, 2)), "labels": [1, 2]})
    checked = GENERATE.check_inputs({"latent": np.zeros((2, 2)), "labels": [1, 2]})
    assert list(checked) == ["latent", "labels"]
    assert (checked["latent"].dtype, checked["labels"].dtype) == (np.float32, np.int32)


def test_float64_is_checked_after_the_cast_to_float32():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's overflow warning must not reach the user
        with pytest.raises(InputError, match=r"'latent'.*got NaN or infinite values as float32 "
                                             r"\(largest magnitude 3.4e\+38\)"):
            LATENT.check("decode", np.array([[0.0, 1e300]]))
        with pytest.raises(InputError, match=r"'images'.*got NaN or infinite values as float32"):
            IMAGES.check("reconstruct", np.full((1, 2, 2, 1), -1e300))
    # What passes is what the model gets: 1 + 1e-10 is 1.0 in float32, inside [0, 1].
    assert IMAGES.check("reconstruct", np.full((1, 2, 2, 1), 1 + 1e-10)).max() == 1.0


@pytest.mark.parametrize("spec, value, shown", [
    (LABELS, np.array([2**40]), 2**40),
    (LABELS, np.array([-(2**40)], np.int64), -(2**40)),
    (SEED, np.uint64(2**63), 2**63),
])
def test_integers_that_do_not_fit_the_dtype_are_refused_not_wrapped(spec, value, shown):
    with pytest.raises(InputError, match=rf"'{spec.name}'.*; got {shown}, which does not fit "
                                         rf"{spec.dtype}\."):
        spec.check("generate", value)


def test_integers_that_fit_are_converted():
    assert SEED.check("sample", np.uint64(2**63 - 1)) == 2**63 - 1
    np.testing.assert_array_equal(LABELS.check("generate", np.array([0, 9], np.uint64)), [0, 9])


def test_declarations_round_trip_and_bad_ones_say_what_is_wrong():
    assert Signature.from_json(GENERATE.to_json()) == GENERATE
    data = GENERATE.to_json()
    data["inputs"][1]["dtype"] = "float16"
    with pytest.raises(ValueError, match=r"^input 1: 'dtype' must be one of float32, int32, "
                                         r"int64; got 'float16'$"):
        Signature.from_json(data)
    with pytest.raises(ValueError, match=r"^missing 'outputs'$"):
        Signature.from_json({"name": "x", "description": "", "inputs": []})
    with pytest.raises(ValueError, match=r"'shape' must be a list of sizes or null; got 'abc'"):
        TensorInput.from_json(LATENT.to_json() | {"shape": "abc"})
