"""Export -> zoo.load round trip, and every error zoo.load promises."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.errors import DamagedExportError, ExportNotFoundError, InputError
from zoo.export import export_model
from zoo.export_format import METADATA_FILE, matched_weights, weight_paths
from zoo.families.complexity import complexity_bits
from zoo.registry import get_entry
from helpers import REPO

VAE_SIGNATURES = {"reconstruct", "encode", "decode", "sample", "score", "sample_png"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A small untrained vae_mnist exported twice under a fresh exported-models folder."""
    root = tmp_path_factory.mktemp("exported")
    model = zoo.build("vae_mnist", latent_dim=3)
    first = export_model(model, get_entry("vae_mnist"), root, {"training": {"epochs": 0}})
    second = export_model(model, get_entry("vae_mnist"), root)
    return model, root, first, second


@pytest.fixture
def exported_env(exported, monkeypatch):
    model, root, first, second = exported
    monkeypatch.setenv("ZOO_EXPORTED_DIR", str(root))
    return exported


def test_exports_take_the_next_version_and_leave_no_staging(exported):
    _, root, first, second = exported
    assert (first.name, second.name) == ("1", "2")
    assert sorted(path.name for path in (root / "vae_mnist").iterdir()) == ["1", "2"]
    metadata = json.loads((first / METADATA_FILE).read_text())
    assert metadata["entry"] == "vae_mnist" and metadata["model_config"]["latent_dim"] == 3
    assert metadata["training"] == {"epochs": 0}


def test_load_by_name_takes_the_highest_version_and_decode_matches(exported_env):
    model, _, first, second = exported_env
    loaded = zoo.load("vae_mnist")
    assert loaded.path == second
    assert zoo.load("vae_mnist", version=1).path == first
    latent = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    np.testing.assert_allclose(loaded.decode(latent), model.decode(latent).numpy(), atol=1e-6)
    np.testing.assert_allclose(loaded.decode(latent=latent), loaded.decode(latent))


def test_signatures_compute_what_they_name(exported_env):
    model, *_ = exported_env
    loaded = zoo.load("vae_mnist")
    assert set(loaded.signatures) == VAE_SIGNATURES
    images = (np.random.default_rng(1).random((4, 28, 28, 1)) > 0.5).astype("float32")
    posterior = loaded.encode(images)
    assert set(posterior) == {"mean", "log_variance"} and posterior["mean"].shape == (4, 3)
    np.testing.assert_allclose(loaded.reconstruct(images), model.decode(posterior["mean"]),
                               atol=1e-6)
    first = loaded.sample(count=6, seed=7)
    np.testing.assert_allclose(first, model.sample(tf.constant(6), tf.constant(7, tf.int64)),
                               atol=1e-6)
    np.testing.assert_array_equal(first, loaded.sample(count=6, seed=7))
    assert not np.array_equal(first, loaded.sample(count=6, seed=8))
    scores = loaded.score(images)
    # The recommended outlier score first, then the others (zoo.outliers).
    assert list(scores) == ["complexity_corrected", "negative_elbo"]
    assert scores["negative_elbo"].shape == (4,)
    np.testing.assert_array_equal(scores["negative_elbo"], loaded.score(images)["negative_elbo"])
    negative_elbo = model.negative_elbo(images, draws=16).numpy()
    np.testing.assert_allclose(scores["negative_elbo"], negative_elbo, rtol=1e-5)
    np.testing.assert_allclose(scores["complexity_corrected"], negative_elbo / np.log(2)
                               - complexity_bits(tf.constant(images), 2).numpy(), rtol=1e-5)


def test_keras_model_rebuilds_the_exported_network(exported_env):
    model, *_ = exported_env
    rebuilt = zoo.load("vae_mnist").keras_model()
    assert rebuilt.get_config() == model.get_config()
    for mine, theirs in zip(rebuilt.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(mine, theirs)


def test_unknown_names_and_escapes_are_refused(exported_env, tmp_path):
    with pytest.raises(ValueError, match="Unknown zoo entry 'vae_cifar'.*vae_mnist"):
        zoo.load("vae_cifar")
    for bad in ("../x", "../../etc", "vae_mnist/../../x", "a/b"):
        with pytest.raises(ValueError, match="neither an entry name"):
            zoo.load(bad)
    with pytest.raises(ValueError, match="no version 7; available versions: 1, 2"):
        zoo.load("vae_mnist", version=7)
    with pytest.raises(ValueError, match="version must be an int, such as 2; got '2'"):
        zoo.load("vae_mnist", version="2")
    with pytest.raises(FileNotFoundError, match="No export directory"):
        zoo.load(tmp_path / "missing")


def test_a_path_that_holds_no_export_says_what_a_valid_one_is(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"^No export directory at \./nothere: pass an "
                                                r"existing export folder \(an entry's folder of "
                                                r"numbered version folders.*zoo\.available\(\)"):
        zoo.load("./nothere")
    (tmp_path / "empty" / "notes").mkdir(parents=True)
    for given in (str(tmp_path / "empty"), tmp_path / "empty"):
        with pytest.raises(FileNotFoundError) as raised:
            zoo.load(given)
        # Said once, with no advice about training or $ZOO_EXPORTED_DIR, which a path has nothing
        # to do with.
        assert str(raised.value) == (
            f"{tmp_path / 'empty'} holds no export versions (no numbered folders with a "
            "saved_model.pb); pass an entry's folder of numbered version folders, such as "
            "exported/vae_mnist, or one version folder, such as exported/vae_mnist/1.")


def test_missing_and_damaged_exports_point_at_zoo_train(exported, tmp_path):
    (tmp_path / "vae_mnist").mkdir()
    with pytest.raises(ExportNotFoundError, match="train and export one with `zoo train "
                                                  "vae_mnist`"):
        zoo.load(tmp_path / "vae_mnist")
    with pytest.raises(ExportNotFoundError, match="holds no export versions.*version folder, "
                                                  r"such as exported/vae_mnist/1\.$"):
        zoo.load(tmp_path)  # no entry's folder: nothing to train
    damaged = Path(shutil.copytree(exported[2], tmp_path / "vae_mnist" / "1"))
    (damaged / "saved_model.pb").write_bytes(b"")
    with pytest.raises(DamagedExportError, match=r"export the model again \(`zoo train "
                                                 r"vae_mnist`\)"):
        zoo.load(damaged)


def test_a_path_loads_a_version_folder_or_an_entry_folder(exported):
    _, root, first, second = exported
    assert zoo.load(first).path == first
    assert zoo.load(root / "vae_mnist").path == second
    assert zoo.load(str(root / "vae_mnist"), version=1).path == first


def test_bad_inputs_name_the_expected_input(exported_env):
    loaded = zoo.load("vae_mnist")
    with pytest.raises(ValueError, match=r"decode\(\) expects 'latent'.*shape \(batch, 3\); "
                                         r"got shape \(2, 4\)"):
        loaded.decode(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match=r"values in \[0.0, 1.0\]; got a maximum of 255"):
        loaded.reconstruct(np.full((1, 28, 28, 1), 255.0))
    with pytest.raises(ValueError, match="got shape \\(28, 28, 1\\)"):
        loaded.encode(np.zeros((28, 28, 1)))
    with pytest.raises(ValueError, match="got dtype <U1"):
        loaded.score(np.full((1, 28, 28, 1), "a"))
    with pytest.raises(ValueError, match="'count'.*; got 0\\.$"):
        loaded.sample(count=0, seed=1)
    with pytest.raises(ValueError, match="'seed'.*got dtype float64"):
        loaded.sample(count=2, seed=0.5)
    with pytest.raises(TypeError, match=r"missing input seed"):
        loaded.sample(count=2)
    with pytest.raises(AttributeError, match="no signature 'generate'"):
        loaded.generate


def test_empty_batches_are_refused_naming_the_input(exported_env):
    loaded = zoo.load("vae_mnist")
    no_images = np.zeros((0, 28, 28, 1), np.float32)
    for signature in ("reconstruct", "encode", "score"):
        with pytest.raises(InputError, match=rf"^{signature}\(\) expects 'images'.*; got an empty "
                                             r"batch \(0 examples\): pass at least one\.$"):
            loaded.call(signature, no_images)
    with pytest.raises(InputError, match=r"^decode\(\) expects 'latent'.*got an empty batch"):
        loaded.decode(np.zeros((0, 3), np.float32))


def test_values_are_checked_as_the_model_gets_them(exported_env):
    loaded = zoo.load("vae_mnist")
    with pytest.raises(InputError, match=r"'latent'.*got NaN or infinite values as float32"):
        loaded.decode(np.array([[0.0, 1e300, 0.0]]))
    with pytest.raises(InputError, match=r"'count'.*got 4294967298, which does not fit int32"):
        loaded.sample(count=2**32 + 2, seed=0)
    with pytest.raises(InputError, match=r"'seed'.*got 9223372036854775808, which does not fit "
                                         r"int64"):
        loaded.sample(count=1, seed=np.uint64(2**63))


def test_signatures_check_range_in_the_graph_and_load_in_the_session_loader(exported):
    """What a TF Serving client sees: the v1 graph/session loader and in-graph input checks."""
    _, _, first, _ = exported
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        meta_graph = tf.compat.v1.saved_model.loader.load(session, ["serve"], str(first))
        assert VAE_SIGNATURES | {"serving_default"} <= set(meta_graph.signature_def)
        default = meta_graph.signature_def["serving_default"]
        assert set(default.inputs) == {"images"} and set(default.outputs) == {"reconstructions"}
        sample = meta_graph.signature_def["sample"]
        assert set(sample.inputs) == {"count", "seed"} and set(sample.outputs) == {"images"}
        images = session.run(sample.outputs["images"].name,
                             {sample.inputs["count"].name: 3, sample.inputs["seed"].name: 5})
        assert images.shape == (3, 28, 28, 1)
        with pytest.raises(tf.errors.InvalidArgumentError, match="values in \\[0.0, 1.0\\]"):
            session.run(default.outputs["reconstructions"].name,
                        {default.inputs["images"].name: np.full((1, 28, 28, 1), 3.0)})
        with pytest.raises(tf.errors.InvalidArgumentError,
                           # TensorFlow escapes the quotes of assertion messages.
                           match=r"input \\'images\\'.*got an empty batch \(0 examples\)"):
            session.run(default.outputs["reconstructions"].name,
                        {default.inputs["images"].name: np.zeros((0, 28, 28, 1))})
    np.testing.assert_allclose(zoo.load(first).sample(count=3, seed=5), images, atol=1e-6)


def test_available_and_build():
    assert "vae_mnist" in zoo.available()
    assert all(isinstance(text, str) and text for text in zoo.available().values())
    with pytest.raises(ValueError, match="known entries: vae_mnist"):
        zoo.build("nope")


def test_the_shipped_export_loads_offline(monkeypatch):
    """The README's quickstart: the committed exported/vae_mnist works on a fresh clone."""
    monkeypatch.delenv("ZOO_EXPORTED_DIR", raising=False)
    vae = zoo.load("vae_mnist")
    assert vae.path.parent == Path(zoo.__file__).resolve().parent.parent / "exported" / "vae_mnist"
    images = vae.sample(count=8, seed=0)
    assert images.shape == (8, 28, 28, 1)
    assert vae.metadata["training"]["train_split"] == "test[:8000]"
    with pytest.raises(InputError, match=r"'latent'.*got an empty batch"):
        vae.decode(np.zeros((0, 16), np.float32))


@pytest.mark.parametrize("name, feed", [
    ("vae_mnist", {"images": np.zeros((0, 28, 28, 1), np.float32)}),
    ("dcgan_mnist", {"latent": np.zeros((0, 100), np.float32)}),
    ("cgan_mnist", {"latent": np.zeros((0, 100), np.float32), "labels": np.zeros((0,), np.int32)}),
    ("cyclegan_mnist_restyle", {"images": np.zeros((0, 28, 28, 3), np.float32)}),
])
def test_the_shipped_graphs_refuse_empty_batches_for_tf_serving(name, feed):
    folder = zoo.load(name).path  # the newest shipped version
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        meta_graph = tf.compat.v1.saved_model.loader.load(session, ["serve"], str(folder))
        default = meta_graph.signature_def["serving_default"]
        output = next(iter(default.outputs.values())).name
        with pytest.raises(tf.errors.InvalidArgumentError, match="got an empty batch"):
            session.run(output, {default.inputs[key].name: value for key, value in feed.items()})


class _Twins(keras.Model):
    """Two networks of the same shapes, created first then second."""

    def __init__(self, second_first: bool = False) -> None:
        super().__init__()
        for name in (("second", "first") if second_first else ("first", "second")):
            inputs = keras.Input((3,))
            setattr(self, name, keras.Model(inputs, keras.layers.Dense(2)(inputs)))


def test_exported_weights_are_matched_by_place_not_position():
    exporter, rebuilt = _Twins(), _Twins(second_first=True)
    # Same shapes in the same positions, so positional matching would swap the networks.
    assert [v.shape for v in exporter.variables] == [v.shape for v in rebuilt.variables]
    recorded = weight_paths(exporter)
    assert recorded[0].startswith("first/") and weight_paths(rebuilt)[0].startswith("second/")
    for target, source in zip(rebuilt.variables,
                              matched_weights(rebuilt, recorded, exporter.variables)):
        target.assign(source)
    for name in ("first", "second"):
        for mine, theirs in zip(getattr(rebuilt, name).get_weights(),
                                getattr(exporter, name).get_weights()):
            np.testing.assert_array_equal(mine, theirs)
    assert matched_weights(rebuilt, recorded[::-1], exporter.variables) is None


class _Attention(keras.Model):
    """A network holding a layer made of layers, whose variables share their own names."""

    def __init__(self) -> None:
        super().__init__()
        tokens = keras.Input((4, 8))
        self.network = keras.Model(tokens, keras.layers.MultiHeadAttention(1, 8)(tokens, tokens))


def test_the_variables_of_a_layer_made_of_layers_are_named_by_their_sublayer():
    paths = weight_paths(_Attention())
    assert paths[:2] == ["network/01.MultiHeadAttention/query/kernel",
                         "network/01.MultiHeadAttention/query/bias"]
    assert len(set(paths)) == len(paths) == 8
    assert weight_paths(_Attention()) == paths  # the layers' counters differ, the names do not


def test_every_shipped_export_rebuilds_with_its_weights_by_place():
    shipped = sorted(path.name for path in (REPO / "exported").iterdir() if path.is_dir())
    assert {"vae_mnist", "cyclegan_mnist_restyle"} <= set(shipped)
    for name in shipped:
        loaded = zoo.load(name)
        assert loaded.metadata["weights"] == weight_paths(loaded.keras_model())
