"""CycleGAN exports: a_to_b and b_to_a equal the in-memory generators at any size divisible by
4, refuse other sizes in zoo.load and in the graph, leave the image pools out; and the plots."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.errors import InputError
from zoo.export import export_model
from zoo.families.cyclegan import CycleGAN, plots, preview
from zoo.loading import ExportedModel
from zoo.registry import DataSpec, Entry, OptimizerSpec
from zoo.signatures import TensorInput

TINY = {"image_size": 16, "filters": 4, "residual_blocks": 1, "patch_layers": 1,
        "pool_size": 3, "seed": 0}


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[CycleGAN, ExportedModel]:
    model = CycleGAN(**TINY)
    # Something in the pools, which must stay out of the export.
    model.pool_a.query(tf.ones([2, 16, 16, 3]), tf.zeros([2], tf.bool), tf.zeros([2], tf.int32))
    entry = Entry(name="tiny_cyclegan", description="tiny", family="cyclegan",
                  model_config=TINY, data=DataSpec("mnist"), epochs=1, batch_size=2,
                  optimizers={name: OptimizerSpec(2e-4) for name in ("generator_optimizer",
                                                                     "discriminator_optimizer")})
    return model, zoo.load(export_model(model, entry, tmp_path_factory.mktemp("exported")))


def _photos(count: int, height: int = 16, width: int = 16, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 1, (count, height, width, 3)).astype("float32")


def _expected(generator, images: np.ndarray) -> np.ndarray:
    """The in-memory generator's translation, mapped from [-1, 1] to [0, 1]."""
    translated = generator(images * 2.0 - 1.0, training=False).numpy()
    return np.clip((translated + 1.0) / 2.0, 0.0, 1.0)


@pytest.mark.parametrize("height, width", [(16, 16), (20, 28), (36, 12)])
def test_both_translations_equal_the_in_memory_generators_at_any_size(exported, height, width):
    model, loaded = exported
    assert list(loaded.signatures) == ["a_to_b", "b_to_a", "a_to_b_bytes", "b_to_a_bytes"]
    assert loaded.metadata["serving_default"] == "a_to_b"
    photos = _photos(2, height, width)
    np.testing.assert_allclose(loaded.a_to_b(images=photos),
                               _expected(model.generator_ab, photos), atol=1e-6)
    np.testing.assert_allclose(loaded.b_to_a(photos), _expected(model.generator_ba, photos),
                               atol=1e-6)
    default = tf.saved_model.load(str(loaded.path)).signatures["serving_default"]
    np.testing.assert_allclose(default(images=tf.constant(photos))["images"],
                               loaded.a_to_b(photos), atol=1e-6)


def test_sizes_not_divisible_by_4_are_refused_in_zoo_load_and_in_the_graph(exported):
    _, loaded = exported
    photos = _photos(1, 18, 20)
    with pytest.raises(InputError, match=r"a_to_b\(\) expects 'images': .* of shape \(batch, "
                                         r"a multiple of 4, a multiple of 4, 3\).*; got shape "
                                         r"\(1, 18, 20, 3\), whose 18 is not a multiple of 4"):
        loaded.a_to_b(photos)
    graph = tf.saved_model.load(str(loaded.path))
    for name in ("a_to_b", "b_to_a"):
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"images.*a multiple of 4, a multiple of 4.*got a size of "
                                 r"axis 1 that is not a multiple of 4"):
            graph.signatures[name](images=tf.constant(photos))
    with pytest.raises(tf.errors.InvalidArgumentError, match="images must be at least 8x8"):
        graph.signatures["a_to_b"](images=tf.constant(_photos(1, 4, 8)))


def test_the_size_rule_is_declared_in_zoo_json_and_old_declarations_read_as_before(exported):
    _, loaded = exported
    declared = loaded.metadata["signatures"][0]["inputs"][0]
    assert declared["multiple_of"] == 4
    assert loaded.signatures["b_to_a"].inputs[0].multiple_of == 4
    latent = TensorInput("latent", (None, 2), "float32", "latent vectors z")
    assert "multiple_of" not in latent.to_json()
    assert TensorInput.from_json(latent.to_json()).multiple_of is None
    with pytest.raises(ValueError, match=r"'multiple_of' must be an integer >= 1 or null; "
                                         r"got 0"):
        TensorInput.from_json(declared | {"multiple_of": 0})


def test_the_export_holds_the_networks_and_not_the_pools(exported):
    model, loaded = exported
    variables = tf.saved_model.load(str(loaded.path)).variables
    assert len(variables) == len(model.variables) == len(loaded.metadata["weights"])
    assert (3, 16, 16, 3) not in [tuple(variable.shape) for variable in variables]  # a pool
    rebuilt = loaded.keras_model()
    for mine, theirs in zip(rebuilt.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(mine, theirs)


def _cells(grid: np.ndarray, rows: int, size: int = 16) -> np.ndarray:
    """The (rows, 2 domains, 3 columns, size, size, C) images of a cycle grid."""
    left = 3 * (size + 1) - 1 + 4  # the A grid and the gap
    return np.stack([np.stack([np.stack([
        grid[row * (size + 1):row * (size + 1) + size,
             offset + column * (size + 1):offset + column * (size + 1) + size]
        for column in range(3)]) for offset in (0, left)]) for row in range(rows)])


def test_plots_show_each_domain_its_translation_and_its_cycle(exported, tmp_path):
    model, loaded = exported
    held_out = {"a": _photos(10, seed=1), "b": _photos(10, seed=2)}
    written = plots(loaded, held_out, tmp_path / "plots")
    assert [path.name for path in written] == ["translations.png"]
    grid = tf.io.decode_png(written[0].read_bytes()).numpy()
    assert grid.shape == (8 * 17 - 1, 2 * (3 * 17 - 1) + 4, 3)
    cells = _cells(grid, 8)
    for domain, (forward, backward) in enumerate(((loaded.a_to_b, loaded.b_to_a),
                                                  (loaded.b_to_a, loaded.a_to_b))):
        images = held_out["ab"[domain]][:8]
        translated = forward(images)
        np.testing.assert_array_equal(cells[:, domain, 0], np.round(images * 255))
        np.testing.assert_allclose(cells[:, domain, 1], np.round(translated * 255), atol=1)
        np.testing.assert_allclose(cells[:, domain, 2], np.round(backward(translated) * 255),
                                   atol=1)
    assert not list((tmp_path / "plots").glob(".*"))  # no temporary files left


def test_the_preview_shows_the_in_memory_translations_and_cycles(exported):
    model, _ = exported
    held_out = {"a": _photos(2, seed=1), "b": _photos(3, seed=2)}
    grid = preview(model, held_out, seed=0)
    assert grid.shape == (3 * 17 - 1, 2 * (3 * 17 - 1) + 4, 3)
    cells = _cells(grid, 2)
    np.testing.assert_array_equal(cells[:, 0, 0], held_out["a"])
    translated = _expected(model.generator_ab, held_out["a"])
    np.testing.assert_allclose(cells[:, 0, 1], translated, atol=1e-6)
    np.testing.assert_allclose(cells[:, 0, 2], _expected(model.generator_ba, translated),
                               atol=1e-6)
    np.testing.assert_allclose(_cells(grid, 3)[:, 1, 1],
                               _expected(model.generator_ba, held_out["b"]), atol=1e-6)
    assert (grid[2 * 17 - 1:, :3 * 17 - 1] == 1.0).all()  # A's shorter grid, padded white
