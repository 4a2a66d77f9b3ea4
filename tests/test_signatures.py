"""Signature declarations: they round-trip through JSON, and declarations that do not parse
say what is wrong."""

from __future__ import annotations

import pytest

from zoo.signatures import Signature, TensorInput, TensorOutput

LATENT = TensorInput("latent", (None, 2), "float32", "latent vectors z")
LABELS = TensorInput("labels", (None,), "int32", "class of each image, 0 to 9", 0, 9)
SEED = TensorInput("seed", (), "int64", "random seed")
GENERATE = Signature("generate", "images", (LATENT, LABELS), ("images",))
ENCODED = TensorInput("image_bytes", (None,), "string", "encoded images")


def test_declarations_round_trip_and_bad_ones_say_what_is_wrong():
    assert Signature.from_json(GENERATE.to_json()) == GENERATE
    data = GENERATE.to_json()
    data["inputs"][1]["dtype"] = "float16"
    with pytest.raises(ValueError, match=r"^input 1: 'dtype' must be one of float32, int32, "
                                         r"int64, string; got 'float16'$"):
        Signature.from_json(data)
    with pytest.raises(ValueError, match=r"^missing 'outputs'$"):
        Signature.from_json({"name": "x", "description": "", "inputs": []})
    with pytest.raises(ValueError, match=r"'shape' must be a list of sizes or null; got 'abc'"):
        TensorInput.from_json(LATENT.to_json() | {"shape": "abc"})


def test_string_declarations_round_trip_and_refuse_ranges():
    twin = Signature("translate_bytes", "PNGs", (ENCODED, SEED),
                     (TensorOutput("image_bytes", "string", "a PNG of each"),))
    data = twin.to_json()
    assert data["outputs"] == [{"name": "image_bytes", "dtype": "string",
                                "description": "a PNG of each"}]
    assert Signature.from_json(data) == twin
    # Plain float outputs are written as names, as before outputs had dtypes.
    assert GENERATE.to_json()["outputs"] == ["images"]
    assert GENERATE.outputs == (TensorOutput("images", "float32"),)
    with pytest.raises(ValueError, match=r"^input 0: input 'image_bytes': a string input has no "
                                         r"value range, size rule or default"):
        Signature.from_json(data | {"inputs": [ENCODED.to_json() | {"maximum": 1}]})
    with pytest.raises(ValueError, match=r"^output 0: output 'images': a string output's name "
                                         r"must end in '_bytes'"):
        Signature.from_json(data | {"outputs": [{"name": "images", "dtype": "string"}]})


STEPS = TensorInput("steps", (), "int32", "sampling steps", 1, 1000, default=20)


def test_a_default_round_trips_and_is_left_out_of_the_json_when_unset():
    assert TensorInput.from_json(STEPS.to_json()) == STEPS
    assert STEPS.to_json()["default"] == 20
    assert "default" not in SEED.to_json()  # declarations without one read as before
    assert STEPS.expected().endswith("with values in [1, 1000] (default 20)")


@pytest.mark.parametrize("changes, message", [
    ({"default": 0}, r"default 0 is outside \[1, 1000\]"),
    ({"default": 2.5}, r"default must be a number of dtype int32; got 2.5"),
    ({"default": True}, r"default must be a number of dtype int32; got True"),
    ({"shape": [None], "default": 3}, r"only a scalar input has a default"),
])
def test_a_default_the_input_could_not_take_is_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        TensorInput.from_json(STEPS.to_json() | changes)
