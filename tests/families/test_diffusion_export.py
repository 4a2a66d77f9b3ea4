"""The diffusion model's export: reloaded in a fresh process it samples the images the trained
model samples (no normalisation state to lose), and its signatures keep their promises: the
same seed and settings give the same images, defaults for steps and eta, bounded steps, one
denoising prediction, and `zoo sample --steps/--eta`."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.errors import InputError
from zoo.export import export_model
from zoo.families.diffusion.signatures import DEFAULT_STEPS, MAX_STEPS
from zoo.families.ranges import to_unit_range
from zoo.families.testing import family_cases
from zoo.images import decode_image, tile

CASE = next(case for case in family_cases() if case.family == "diffusion")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The test case's model after a few steps (so its output layer is no longer zero), and
    its export."""
    from zoo.families.diffusion import Diffusion
    import keras

    model = Diffusion(**CASE.config, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    model.fit(CASE.batches(count=16, batch_size=8), epochs=3, verbose=0)
    folder = export_model(model, CASE.entry(), tmp_path_factory.mktemp("export"))
    return model, folder


def _expected_sample(model, count: int, seed: int, steps: int, eta: float) -> np.ndarray:
    noise = tf.random.stateless_normal([count, *model.image_shape], [seed, 0])
    return to_unit_range(model.generate(noise, steps, eta, seed)).numpy()


def test_an_export_reloaded_in_a_fresh_process_samples_the_trained_model_s_images(trained,
                                                                                   tmp_path):
    model, folder = trained
    out = tmp_path / "sampled.npy"
    script = ("import sys, numpy as np, zoo; "
              "np.save(sys.argv[2], zoo.load(sys.argv[1]).sample(count=4, seed=3, steps=5, "
              "eta=0.5))")
    subprocess.run([sys.executable, "-c", script, str(folder), str(out)], check=True,
                   capture_output=True)
    expected = _expected_sample(model, 4, 3, 5, 0.5)
    assert expected.std() > 0.05  # images, not a constant
    # The same float32 computation in a SavedModel graph and eagerly: round-off only.
    np.testing.assert_allclose(np.load(out), expected, atol=1e-4)


def test_the_same_seed_and_settings_give_the_same_images_and_the_defaults_are_20_steps_eta_0(
        trained):
    model, folder = trained
    loaded = zoo.load(folder)
    first = loaded.sample(count=3, seed=1)
    np.testing.assert_array_equal(first, loaded.sample(count=3, seed=1, steps=DEFAULT_STEPS,
                                                       eta=0.0))
    assert np.abs(first - loaded.sample(count=3, seed=2)).max() > 1e-3
    stochastic = loaded.sample(count=3, seed=1, eta=1.0)
    np.testing.assert_array_equal(stochastic, loaded.sample(count=3, seed=1, eta=1.0))
    assert np.abs(stochastic - first).max() > 1e-3
    assert first.shape == (3, 8, 8, 1) and 0.0 <= first.min() and first.max() <= 1.0
    # generate is the deterministic sampler from given noise: the seed's noise gives sample's.
    noise = tf.random.stateless_normal([3, 8, 8, 1], [1, 0]).numpy()
    np.testing.assert_allclose(loaded.generate(noise=noise, steps=DEFAULT_STEPS), first,
                               atol=1e-6)
    png = decode_image(loaded.sample_png(count=3, seed=1), channels=1).numpy()
    np.testing.assert_allclose(png, tile(first), atol=0.5 / 255 + 1e-6)  # 8-bit quantisation


@pytest.mark.parametrize("inputs, message", [
    ({"steps": 0}, rf"'steps': DDIM sampling steps .* with values in \[1, {MAX_STEPS}\]"),
    ({"steps": MAX_STEPS + 1}, rf"with values in \[1, {MAX_STEPS}\]"),
    ({"eta": 1.5}, r"'eta': DDIM's eta.* with values in \[0.0, 1.0\]"),
])
def test_sampling_settings_out_of_range_are_refused_naming_the_input(trained, inputs, message):
    loaded = zoo.load(trained[1])
    with pytest.raises(InputError, match=message):
        loaded.sample(count=2, seed=0, **inputs)


def test_denoise_predicts_the_noise_and_the_clean_images_from_it(trained):
    model, folder = trained
    loaded = zoo.load(folder)
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(4, 8, 8, 1)).astype(np.float32)
    noise = rng.normal(size=images.shape).astype(np.float32)
    levels = np.array([0.2, 0.4, 0.6, 0.9], np.float32)
    noisy = (np.sqrt(1 - levels**2)[:, None, None, None] * (2 * images - 1)
             + levels[:, None, None, None] * noise)
    out = loaded.denoise(noisy_images=noisy, noise_level=levels)
    predicted_noise, predicted = model.denoise(noisy, levels)
    np.testing.assert_allclose(out["noise"], predicted_noise, atol=1e-5)
    np.testing.assert_allclose(out["images"], to_unit_range(predicted), atol=1e-5)
    low, high = model.schedule.noise_rate_range
    least = math.floor(low * 1e6) / 1e6  # the float32 least noise, as a bound in 6 decimals
    with pytest.raises(InputError, match=rf"'noise_level'.* with values in \[{least}, 0.99"):
        loaded.denoise(noisy_images=noisy, noise_level=np.full(4, 1.0, np.float32))
    # Below the least noise trained on: the network never saw such images.
    with pytest.raises(InputError, match=r"'noise_level'"):
        loaded.denoise(noisy_images=noisy, noise_level=np.full(4, low / 2, np.float32))
    assert loaded.denoise(noisy_images=noisy, noise_level=np.full(4, low, np.float32))[
        "images"].shape == images.shape
    # Pictures in [0, 255] instead of [0, 1] are refused naming the input.
    with pytest.raises(InputError, match=r"'noisy_images'.* with values in \[-10.0, 10.0\]"):
        loaded.denoise(noisy_images=noisy + 255 * images, noise_level=levels)


def test_zoo_sample_passes_steps_and_eta_and_refuses_them_for_a_model_without_them(
        trained, tmp_path, capsys):
    from zoo.__main__ import main
    from serving_exports import tiny_exports

    model, folder = trained
    out = tmp_path / "grid.png"
    assert main(["sample", str(folder), "--count", "4", "--seed", "2", "--steps", "3",
                 "--eta", "1", "--out", str(out)]) == 0
    expected = _expected_sample(model, 4, 2, 3, 1.0)
    drawn = decode_image(out.read_bytes(), channels=1).numpy()
    np.testing.assert_allclose(drawn, tile(expected), atol=0.5 / 255 + 1e-4)
    with pytest.raises(SystemExit) as refused:
        main(["sample", str(folder), "--steps", "0", "--out", str(tmp_path / "x.png")])
    assert refused.value.code == 2
    assert "--steps must be at least 1; got 0" in capsys.readouterr().err
    assert main(["sample", str(folder), "--steps", str(MAX_STEPS + 1), "--out",
                 str(tmp_path / "x.png")]) == 2
    assert f"--steps must be 1 to {MAX_STEPS} for tiny_diffusion" in capsys.readouterr().err
    gan = tiny_exports()["gan"]
    assert main(["sample", str(gan), "--steps", "5", "--out", str(tmp_path / "y.png")]) == 2
    assert "sample takes no steps; drop --steps." in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "y.png").exists()


def test_the_export_records_the_schedule_and_the_signatures_defaults(trained):
    metadata = json.loads((trained[1] / "zoo.json").read_text())
    assert metadata["model_config"]["schedule"] == "linear"
    sample = next(s for s in metadata["signatures"] if s["name"] == "sample")
    defaults = {spec["name"]: spec.get("default") for spec in sample["inputs"]}
    assert defaults == {"count": None, "seed": None, "steps": DEFAULT_STEPS, "eta": 0.0}


def test_each_signature_method_documents_its_inputs_defaults_and_outputs(trained):
    import inspect

    loaded = zoo.load(trained[1])
    assert str(inspect.signature(loaded.sample)) == \
        f"(count, seed, steps={DEFAULT_STEPS}, eta=0.0)"
    assert str(inspect.signature(loaded.denoise)) == "(noisy_images, noise_level)"
    assert loaded.sample.__name__ == "sample"
    doc = loaded.denoise.__doc__
    assert doc.startswith(loaded.signatures["denoise"].description)
    for spec in loaded.signatures["denoise"].inputs:
        assert spec.expected() in doc
    assert "Outputs (a dict of the outputs' arrays, by name):\n    noise\n    images" in doc
    # The documented signature is the one the call takes.
    with pytest.raises(TypeError, match="missing input seed"):
        loaded.sample(count=1)
