"""The signatures on encoded images: the translations' `*_bytes` twins and the generators'
`sample_png` agree with the array signatures, through tf.saved_model.load, the v1 session
loader TF Serving mirrors, and zoo.load; bad bytes are refused with a message naming the
input."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.errors import InputError
from zoo.export import export_model
from zoo.families.pix2pix import Pix2Pix
from zoo.images import tile, to_uint8
from zoo.registry import get_entry
from serving_exports import png, tiny_case, tiny_exports

TWINS = [("pix2pix", "translate", 1), ("cyclegan", "a_to_b", 3), ("cyclegan", "b_to_a", 3)]
GRIDS = [("vae", {}), ("cgan", {"label": 3})]


@pytest.fixture(scope="module")
def exports():
    return tiny_exports()


@pytest.fixture(scope="module")
def graphs(exports):
    return {name: tf.saved_model.load(str(folder)) for name, folder in exports.items()}


def _pixels(count: int, channels: int, size: int = 16, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (count, size, size, channels), np.uint8)


def _size(folder) -> int:
    """The image size the export's model was built for."""
    return zoo.load(folder).metadata["model_config"]["image_size"]


def _decoded(outputs) -> np.ndarray:
    return np.stack([tf.io.decode_png(data).numpy() for data in outputs])


@pytest.mark.parametrize("name, array, channels", TWINS)
def test_the_bytes_twins_give_the_array_signatures_pngs(exports, graphs, name, array, channels):
    pixels = _pixels(3, channels, size=_size(exports[name]))
    twin = graphs[name].signatures[f"{array}_bytes"]
    served = twin(image_bytes=tf.constant([png(image) for image in pixels]))["image_bytes"]
    assert served.dtype == tf.string and served.shape == (3,)
    translated = graphs[name].signatures[array](images=tf.constant(pixels / np.float32(255)))
    np.testing.assert_array_equal(_decoded(served.numpy()), to_uint8(translated["images"]))
    # zoo.load takes Python bytes and returns them.
    loaded = zoo.load(exports[name]).call(f"{array}_bytes", [png(image) for image in pixels])
    assert loaded.dtype == object and all(isinstance(data, bytes) for data in loaded)
    assert list(loaded) == list(served.numpy())


def test_images_are_decoded_with_the_models_channels_and_resized(exports):
    pix2pix, cyclegan = zoo.load(exports["pix2pix"]), zoo.load(exports["cyclegan"])
    grey = _pixels(1, 1, size=_size(exports["cyclegan"]))[0]
    # A grey image for colour CycleGAN is the grey repeated in each channel.
    np.testing.assert_array_equal(
        _decoded(cyclegan.a_to_b_bytes([png(grey)])),
        to_uint8(cyclegan.a_to_b(np.repeat(grey[None], 3, -1) / np.float32(255))))
    # A colour JPEG for grey pix2pix is decoded as grey (by the JPEG decoder) ...
    jpeg = tf.io.encode_jpeg(_pixels(1, 3)[0]).numpy()
    as_grey = tf.io.decode_jpeg(jpeg, channels=1).numpy()[None] / np.float32(255)
    np.testing.assert_array_equal(_decoded(pix2pix.translate_bytes([jpeg])),
                                  to_uint8(pix2pix.translate(as_grey)))
    # ... and an image of another size is resized to the model's size (a flat one stays flat).
    size = _size(exports["pix2pix"])
    flat = np.full((40, 24, 1), 200, np.uint8)
    both = pix2pix.translate_bytes([png(flat), png(flat[:size, :size])])
    expected = to_uint8(pix2pix.translate(np.full((1, size, size, 1), 200 / np.float32(255))))
    np.testing.assert_array_equal(_decoded(both), np.concatenate([expected, expected]))


@pytest.mark.parametrize("name, label", GRIDS)
def test_sample_png_is_the_grid_of_the_sample(exports, graphs, name, label):
    loaded = zoo.load(exports[name])
    for count in (1, 5):
        inputs = {"count": tf.constant(count), "seed": tf.constant(3, tf.int64),
                  **{key: tf.constant(value) for key, value in label.items()}}
        served = graphs[name].signatures["sample_png"](**inputs)["png_bytes"]
        assert served.dtype == tf.string and served.shape == ()
        grid = tile(loaded.sample(count=count, seed=3, **label))
        np.testing.assert_array_equal(tf.io.decode_png(served.numpy()).numpy(), to_uint8(grid))
        assert loaded.sample_png(count=count, seed=3, **label) == served.numpy()


@pytest.mark.parametrize("name", ["vae", "cgan", "pix2pix", "cyclegan"])
def test_the_session_loader_serves_the_bytes_signatures(exports, name):
    """What TF Serving's C++ does: load the graph in a session and feed the tensor names."""
    loaded = zoo.load(exports[name])
    twins = [key for key in loaded.signatures if key.endswith(("_bytes", "_png"))]
    assert twins
    given = {"image_bytes": [png(image) for image in _pixels(2, 3, size=20)], "count": 4,
             "seed": 1, "label": 2}
    values = {key: {spec.name: given[spec.name] for spec in loaded.signatures[key].inputs}
              for key in twins}
    expected = {key: loaded.call(key, **values[key]) for key in twins}
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        meta_graph = tf.compat.v1.saved_model.loader.load(session, ["serve"], str(exports[name]))
        for key in twins:
            declared = meta_graph.signature_def[key]
            assert set(declared.inputs) == set(values[key])
            (output, info), = declared.outputs.items()
            assert output.endswith("_bytes") and info.dtype == tf.string.as_datatype_enum
            served = session.run(info.name, {declared.inputs[input].name: value
                                             for input, value in values[key].items()})
            if key.endswith("_bytes"):
                assert served.tolist() == expected[key].tolist()  # a PNG per example
            else:
                assert served == expected[key]  # one PNG


# TensorFlow escapes the quotes of assertion messages; zoo.load's messages have none.
NOT_AN_IMAGE = (r"translate_bytes\(\) expects \\?'image_bytes\\?': encoded JPEG or PNG images.*; "
                r"got bytes that are neither a JPEG nor a PNG image, first at index")


def test_bad_bytes_are_refused_in_the_graph_naming_the_input(exports, graphs):
    translate = graphs["pix2pix"].signatures["translate_bytes"]
    good = png(_pixels(1, 1)[0])
    with pytest.raises(tf.errors.InvalidArgumentError, match=NOT_AN_IMAGE + r"\] \[1\]"):
        translate(image_bytes=tf.constant([good, b"<html>not found</html>"]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid PNG"):
        translate(image_bytes=tf.constant([good[:40]]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"image_bytes.*got an empty batch"):
        translate(image_bytes=tf.constant([], tf.string))
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        meta_graph = tf.compat.v1.saved_model.loader.load(session, ["serve"],
                                                          str(exports["pix2pix"]))
        declared = meta_graph.signature_def["translate_bytes"]
        with pytest.raises(tf.errors.InvalidArgumentError, match=NOT_AN_IMAGE):
            session.run(declared.outputs["image_bytes"].name,
                        {declared.inputs["image_bytes"].name: [b"GIF89a"]})


@pytest.mark.parametrize("value, message", [
    ([b"GIF89a..."], NOT_AN_IMAGE + r" 0\.$"),
    (["a text"], NOT_AN_IMAGE + r" 0\.$"),
    ([b"\x89PNG\r\n\x1a\n truncated"], r"^translate_bytes\(\) could not decode 'image_bytes': "
                                       r"Invalid PNG"),
    (b"\x89PNG", r"got one bytes object rather than a batch: pass a list of them"),
    ([], r"got an empty batch \(0 examples\)"),
    (np.zeros((1, 16, 16, 1), np.uint8), r"got dtype uint8"),
])
def test_zoo_load_refuses_bad_bytes_with_one_clear_line(exports, value, message):
    with pytest.raises(InputError, match=message) as raised:
        zoo.load(exports["pix2pix"]).translate_bytes(value)
    assert "\n" not in str(raised.value)


def test_zoo_json_declares_the_bytes_signatures(exports):
    cyclegan = zoo.load(exports["cyclegan"]).metadata
    size = cyclegan["model_config"]["image_size"]
    assert cyclegan["serving_default"] == "a_to_b"
    twin = next(data for data in cyclegan["signatures"] if data["name"] == "b_to_a_bytes")
    assert twin["inputs"] == [{"name": "image_bytes", "shape": [None], "dtype": "string",
                               "description": "encoded JPEG or PNG images, grey or colour, "
                                              f"each resized to {size}x{size}",
                               "minimum": None, "maximum": None}]
    assert twin["outputs"] == [{"name": "image_bytes", "dtype": "string",
                                "description": "a PNG of each result"}]
    cgan = zoo.load(exports["cgan"]).signatures["sample_png"]
    assert [spec.name for spec in cgan.inputs] == ["count", "seed", "label"]
    assert [(output.name, output.dtype) for output in cgan.outputs] == [("png_bytes", "string")]


def test_the_twin_of_a_seeded_translation_keeps_its_seed(tmp_path):
    model = Pix2Pix(**{**tiny_case("pix2pix").config, "dropout": 0.5}, test_time_dropout=True,
                    seed=0)
    loaded = zoo.load(export_model(model, get_entry("pix2pix_facades"), tmp_path))
    assert [spec.name for spec in loaded.signatures["translate_bytes"].inputs] == \
        ["image_bytes", "seed"]
    pixels = _pixels(2, 1)
    encoded = [png(image) for image in pixels]
    first = _decoded(loaded.translate_bytes(encoded, seed=7))
    np.testing.assert_array_equal(
        first, to_uint8(loaded.translate(pixels / np.float32(255), seed=7)))
    assert not np.array_equal(first, _decoded(loaded.translate_bytes(encoded, seed=8)))
