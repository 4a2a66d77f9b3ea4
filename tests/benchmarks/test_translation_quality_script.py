"""The translation benchmark: figures recomputed from the exports, ablation beside, picture."""

from __future__ import annotations

import contextlib
import io
import json
import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.data import load_examples, load_mnist
from zoo.data.tasks import plain_rgb, restyle
from zoo.evaluation.classifiers import HORSE, ZEBRA, classify
from zoo.evaluation.frechet import feature_statistics, frechet_distance
from zoo.evaluation.translation import held_out
from zoo.export import export_model
from zoo.export_format import METADATA_FILE
from zoo.registry import get_entry
from helpers import benchmark_script


def _script():
    return benchmark_script("translation_quality")


def _export(entry: str, root, **config):
    return export_model(zoo.build(entry, seed=0, **config), get_entry(entry), root)


def _json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


def test_inpainting_reports_both_models_and_the_ratio(tmp_path, mnist_idx_dir, capsys):
    model = _export("pix2pix_mnist_inpaint", tmp_path / "a", filters=4)
    ablation = _export("pix2pix_mnist_inpaint", tmp_path / "b", filters=4, lambda_gan=0.0)
    picture = tmp_path / "picture.png"
    assert _script().main([
        "--model", str(model), "--ablation", str(ablation), "--data-dir", str(mnist_idx_dir),
        "--split", "test", "--classifier-train-split", "train", "--classifier-epochs", "1",
        "--run-dir", str(tmp_path / "classifier"), "--picture", str(picture),
        "--update-metadata"]) == 0
    output = capsys.readouterr().out
    result = _json(output.split("recorded in")[0])
    assert result["examples"] == 16 and "L1 only (lambda_gan=0)" in output
    # The L1 figure is the mean absolute error of the export's completions to the digits.
    data = held_out("pix2pix_mnist_inpaint", "test", str(mnist_idx_dir), 32)
    completed = zoo.load(model).translate(data["input"])
    assert result["l1_cgan"]["l1"] == pytest.approx(np.abs(completed - data["target"]).mean(),
                                                    abs=1e-5)
    assert result["frechet_ratio"] == pytest.approx(
        result["l1_cgan"]["frechet_distance"] / result["l1_only"]["frechet_distance"], abs=2e-3)
    grid = tf.io.decode_png(picture.read_bytes()).numpy()
    assert grid.shape == (8 * 33 - 1, 4 * 33 - 1, 3)  # input | L1 only | L1+cGAN | target
    recorded = json.loads((model / METADATA_FILE).read_text())["evaluation"]
    assert recorded["translation_quality"] == result


def test_facades_reports_held_out_l1_and_shows_every_test_pair(tmp_path, capsys):
    rng = np.random.default_rng(0)
    for index in range(3):
        (tmp_path / "facades" / "test").mkdir(parents=True, exist_ok=True)
        pair = rng.integers(0, 256, (20, 40, 3), np.uint8)
        (tmp_path / "facades" / "test" / f"{index}.png").write_bytes(
            tf.io.encode_png(pair).numpy())
    model = _export("pix2pix_facades", tmp_path / "exported", image_size=32, filters=4)
    picture = tmp_path / "facades.png"
    assert _script().main(["--entry", "pix2pix_facades", "--model", str(model), "--data-dir",
                           str(tmp_path / "facades"), "--picture", str(picture)]) == 0
    result = _json(capsys.readouterr().out)
    data = held_out("pix2pix_facades", "test", str(tmp_path / "facades"), 32)
    outputs = zoo.load(model).translate(data["input"])
    assert result["l1"] == pytest.approx(np.abs(outputs - data["target"]).mean(), abs=1e-5)
    assert tf.io.decode_png(picture.read_bytes()).shape == (3 * 33 - 1, 3 * 33 - 1, 3)


def test_an_export_of_another_entry_is_refused(tmp_path, capsys):
    model = _export("pix2pix_mnist_inpaint", tmp_path, filters=4)
    assert _script().main(["--entry", "pix2pix_facades", "--model", str(model)]) == 2
    assert "is an export of 'pix2pix_mnist_inpaint', not 'pix2pix_facades'" in \
        capsys.readouterr().err


def test_a_non_positive_rows_flag_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        _script().main(["--rows", "0"])
    assert exit_info.value.code == 2 and "--rows must be positive; got 0" in capsys.readouterr().err


# CycleGAN entries: tiny untrained exports, figures recomputed from the exports and the
# cached classifier.

_TINY_CYCLEGAN = {"filters": 2, "residual_blocks": 1}


@pytest.fixture(scope="module")
def restyle_exports(tmp_path_factory):
    """A tiny untrained cyclegan_mnist_restyle export and its cycle-off (lambda_cycle=0) twin."""
    root = tmp_path_factory.mktemp("restyle")
    return (_export("cyclegan_mnist_restyle", root / "model", **_TINY_CYCLEGAN),
            _export("cyclegan_mnist_restyle", root / "ablation", lambda_cycle=0.0,
                    **_TINY_CYCLEGAN))


def _restyle_flags(model, ablation, data_dir, run_dir, picture, epochs: int = 1) -> list[str]:
    return ["--entry", "cyclegan_mnist_restyle", "--model", str(model), "--ablation",
            str(ablation), "--data-dir", str(data_dir), "--split", "test",
            "--classifier-train-split", "train", "--classifier-epochs", str(epochs),
            "--classifier-run-dir", str(run_dir), "--picture", str(picture)]


def _classifier(run_dir):
    return keras.models.load_model(run_dir / "classifier.keras", compile=False)


def _classify(classifier, images) -> np.ndarray:
    """The classes the classifier picks."""
    return classify(classifier, images)[1].argmax(1)


def test_restyle_reports_l1_labels_and_cycle_beside_the_ablation_and_caches_the_classifier(
        restyle_exports, tmp_path, mnist_idx_dir, capsys):
    model, ablation = restyle_exports
    run_dir, picture = tmp_path / "classifier", tmp_path / "restyle.png"
    flags = _restyle_flags(model, ablation, mnist_idx_dir, run_dir, picture)
    assert _script().main(flags + ["--update-metadata"]) == 0
    output = capsys.readouterr().out
    first = _json(output.split("recorded in")[0])
    assert first["examples"] == 16 and first["classifier_trained_now"] is True
    assert "cycle off (lambda_cycle=0)" in output and "trained the classifier" in output
    assert "label preservation with the cycle loss" in output and "target >= 95%" in output

    images, labels = load_mnist("test", mnist_idx_dir)
    plain = plain_rgb({"image": images, "label": labels})["image"].numpy()
    truth = restyle(images).numpy()
    classifier = _classifier(run_dir)
    for key, export in (("cyclegan", model), ("cycle_off", ablation)):
        exported = zoo.load(export)
        translated = exported.a_to_b(plain)
        cycled = exported.b_to_a(translated)
        assert first[key]["l1_to_true"] == pytest.approx(np.abs(translated - truth).mean(),
                                                         abs=1e-5)
        assert first[key]["cycle_l1"] == pytest.approx(np.abs(cycled - plain).mean(), abs=1e-5)
        assert first[key]["label_preservation"] == pytest.approx(
            np.mean(_classify(classifier, translated) == labels), abs=1e-5)
    assert first["classifier_accuracy_restyled"] == pytest.approx(
        np.mean(_classify(classifier, truth) == labels), abs=1e-5)
    assert first["identity"] == {
        "l1_to_true": pytest.approx(np.abs(plain - truth).mean(), abs=1e-5),
        "label_preservation": pytest.approx(np.mean(_classify(classifier, plain) == labels),
                                            abs=1e-5),
        "cycle_l1": 0.0}
    grid = tf.io.decode_png(picture.read_bytes()).numpy()
    assert grid.shape == (8 * 29 - 1, 5 * 29 - 1, 3)  # a | a_to_b | T(a) | cycle off | cycle

    assert json.loads((model / METADATA_FILE).read_text())["evaluation"][
        "translation_quality"] == first

    # A classifier setting other than the cache's is refused, naming the flag.
    written = (run_dir / "classifier.keras").stat().st_mtime_ns
    changed = _restyle_flags(model, ablation, mnist_idx_dir, run_dir, picture, epochs=2)
    assert _script().main(changed) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1
    assert "epochs 1 (this run: 2)" in error and "--classifier-run-dir" in error
    assert (run_dir / "classifier.keras").stat().st_mtime_ns == written


def test_an_ablation_trained_with_the_cycle_loss_is_refused(restyle_exports, capsys):
    model, _ = restyle_exports
    assert _script().main(["--entry", "cyclegan_mnist_restyle", "--model", str(model),
                           "--ablation", str(model)]) == 2
    assert "was trained with lambda_cycle=10.0; the ablation is the model trained with " \
        "--lambda-cycle 0" in capsys.readouterr().err


def test_an_ablation_is_refused_for_an_entry_without_one(capsys):
    with pytest.raises(SystemExit) as exit_info:
        _script().main(["--entry", "cyclegan_horse2zebra", "--ablation", "x"])
    assert exit_info.value.code == 2
    assert "--ablation does not apply to cyclegan_horse2zebra" in capsys.readouterr().err


def _horse2zebra_folder(root):
    """trainA/trainB/testA/testB of 20x20 PNGs: brown horses, black and white striped zebras."""
    rng = np.random.default_rng(0)
    stripes = np.repeat(np.arange(20) // 2 % 2 * 255, 3).reshape(1, 20, 3)
    for folder, count in (("trainA", 6), ("trainB", 6), ("testA", 3), ("testB", 3)):
        (root / folder).mkdir(parents=True)
        for index in range(count):
            base = np.array([[[140, 90, 40]]]) if folder.endswith("A") else stripes
            image = np.clip(base + rng.integers(-20, 21, (20, 20, 3)), 0, 255).astype(np.uint8)
            (root / folder / f"{index}.png").write_bytes(tf.io.encode_png(image).numpy())
    return root


@pytest.fixture(scope="module")
def horse2zebra_run(tmp_path_factory):
    """One benchmark run on a tiny folder with a tiny untrained export at 16 px."""
    root = tmp_path_factory.mktemp("horse2zebra")
    data_dir = _horse2zebra_folder(root / "data")
    model = _export("cyclegan_horse2zebra", root / "exported", image_size=16, patch_layers=1,
                    **_TINY_CYCLEGAN)
    flags = ["--entry", "cyclegan_horse2zebra", "--model", str(model), "--data-dir",
             str(data_dir), "--classifier-epochs", "1", "--classifier-run-dir",
             str(root / "classifier"), "--picture", str(root / "horse2zebra.png")]
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = _script().main(flags)
    return {"code": code, "output": output.getvalue(), "flags": flags, "model": model,
            "data_dir": data_dir, "run_dir": root / "classifier",
            "picture": root / "horse2zebra.png"}


def test_horse2zebra_reports_shares_and_distances_beside_the_identity(horse2zebra_run):
    assert horse2zebra_run["code"] == 0, horse2zebra_run["output"]
    output = horse2zebra_run["output"]
    result = _json(output)
    assert (result["horses"], result["zebras"], result["examples"]) == (3, 3, 6)
    assert "translated test horses called zebras" in output and "target >= 80%" in output
    examples = load_examples("horse2zebra", "test", horse2zebra_run["data_dir"])
    horses, zebras = (examples.domains[domain].held_out(3, 16)["image"] for domain in "ab")
    exported = zoo.load(horse2zebra_run["model"])
    fake_zebras, fake_horses = exported.a_to_b(horses), exported.b_to_a(zebras)
    classifier = _classifier(horse2zebra_run["run_dir"])
    zebra, horse = ZEBRA, HORSE
    assert result["cyclegan"]["horses_called_zebras"] == pytest.approx(
        np.mean(_classify(classifier, fake_zebras) == zebra), abs=1e-5)
    assert result["cyclegan"]["zebras_called_horses"] == pytest.approx(
        np.mean(_classify(classifier, fake_horses) == horse), abs=1e-5)
    assert result["identity"]["horses_called_zebras"] == pytest.approx(
        np.mean(_classify(classifier, horses) == zebra), abs=1e-5)
    assert result["identity"]["zebras_called_horses"] == pytest.approx(
        np.mean(_classify(classifier, zebras) == horse), abs=1e-5)
    assert result["classifier_accuracy"] == pytest.approx(
        (np.sum(_classify(classifier, horses) == horse)
         + np.sum(_classify(classifier, zebras) == zebra)) / 6, abs=1e-5)
    distance = frechet_distance(*feature_statistics(classify(classifier, fake_zebras)[0]),
                                *feature_statistics(classify(classifier, zebras)[0]))
    assert result["cyclegan"]["frechet_horses_to_zebras"] == pytest.approx(distance, rel=1e-3)
    assert result["identity"]["frechet_horses_to_zebras"] >= 0
    record = json.loads((horse2zebra_run["run_dir"] / "classifier.json").read_text())
    assert (record["image_size"], record["train_files"], record["epochs"]) == (16, 12, 1)
    # horse | its zebra | zebra | its horse, one row per test image of the smaller domain
    grid = tf.io.decode_png(horse2zebra_run["picture"].read_bytes()).numpy()
    assert grid.shape == (3 * 17 - 1, 4 * 17 - 1, 3)


def test_horse2zebra_cache_trained_otherwise_is_refused(horse2zebra_run, tmp_path, capsys):
    run_dir = tmp_path / "classifier"
    shutil.copytree(horse2zebra_run["run_dir"], run_dir)
    flags = horse2zebra_run["flags"]
    flags = flags[:flags.index("--classifier-epochs")] + [
        "--classifier-epochs", "2", "--classifier-run-dir", str(run_dir), "--picture",
        str(tmp_path / "picture.png")]
    assert _script().main(flags) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1
    assert "epochs 1 (this run: 2)" in error and "--classifier-run-dir" in error
