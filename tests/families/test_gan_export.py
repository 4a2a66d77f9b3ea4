"""GAN exports: generate equals the in-memory generator, sample is seeded, labels are checked."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.errors import InputError
from zoo.export import export_model
from zoo.registry import get_entry


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    root = tmp_path_factory.mktemp("exported")
    models = {name: zoo.build(name) for name in ("dcgan_mnist", "cgan_mnist")}
    return {name: (model, export_model(model, get_entry(name), root))
            for name, model in models.items()}


def test_generate_and_sample_equal_the_in_memory_generator(exports):
    model, version = exports["dcgan_mnist"]
    loaded = zoo.load(version)
    assert set(loaded.signatures) == {"generate", "sample", "sample_png"}
    assert loaded.metadata["serving_default"] == "generate"
    latent = np.random.default_rng(0).normal(size=(3, 100)).astype("float32")
    images = loaded.generate(latent)
    np.testing.assert_allclose(images, (model.generate(latent).numpy() + 1) / 2, atol=1e-6)
    assert images.shape == (3, 28, 28, 1)
    first = loaded.sample(count=5, seed=3)
    drawn = tf.random.stateless_normal([5, 100], [3, 0])
    np.testing.assert_allclose(first, (model.generate(drawn).numpy() + 1) / 2, atol=1e-6)
    np.testing.assert_array_equal(first, loaded.sample(count=5, seed=3))
    assert not np.array_equal(first, loaded.sample(count=5, seed=4))


def test_the_conditional_export_takes_labels_and_refuses_unknown_classes(exports):
    model, version = exports["cgan_mnist"]
    loaded = zoo.load(version)
    latent = np.random.default_rng(1).normal(size=(4, 100)).astype("float32")
    labels = np.array([0, 3, 9, 3], np.int32)
    np.testing.assert_allclose(loaded.generate(latent, labels),
                               (model.generate(latent, labels).numpy() + 1) / 2, atol=1e-6)
    sevens = loaded.sample(count=4, seed=0, label=7)
    assert sevens.shape == (4, 28, 28, 1)
    assert not np.array_equal(sevens, loaded.sample(count=4, seed=0, label=1))
    with pytest.raises(ValueError,
                       match=r"'label': class of the images, 0 to 9.*; got 10\."):
        loaded.sample(count=4, seed=0, label=10)
    with pytest.raises(ValueError, match=r"'labels'.*got a minimum of -1"):
        loaded.generate(latent, np.array([0, 1, 2, -1]))
    with pytest.raises(ValueError, match=r"'labels'.*got dtype float"):
        loaded.generate(latent, np.array([0.0, 1.0, 2.0, 3.0]))


@pytest.mark.parametrize("which", ["new", "shipped"])
def test_generate_needs_one_label_per_latent_vector(exports, which):
    loaded = zoo.load(exports["cgan_mnist"][1] if which == "new" else "cgan_mnist")
    latent = np.zeros((3, 100), np.float32)
    with pytest.raises(InputError, match=r"^generate\(\) needs the same number of examples in "
                                         r"'latent' and 'labels'; got 3 and 2\.$"):
        loaded.generate(latent, np.array([1, 2]))


def test_serving_checks_labels_in_the_graph(exports):
    _, version = exports["cgan_mnist"]
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        meta_graph = tf.compat.v1.saved_model.loader.load(session, ["serve"], str(version))
        default = meta_graph.signature_def["serving_default"]
        assert set(default.inputs) == {"latent", "labels"} and set(default.outputs) == {"images"}
        feed = {default.inputs["latent"].name: np.zeros((1, 100), np.float32),
                default.inputs["labels"].name: np.array([12], np.int32)}
        with pytest.raises(tf.errors.InvalidArgumentError, match="0 to 9"):
            session.run(default.outputs["images"].name, feed)
        feed[default.inputs["labels"].name] = np.array([1, 2], np.int32)
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"generate\(\) needs the same number of examples in "
                                 r"\\'latent\\' and \\'labels\\'"):
            session.run(default.outputs["images"].name, feed)
