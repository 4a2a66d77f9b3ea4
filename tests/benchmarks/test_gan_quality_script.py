"""benchmarks/gan_quality.py end to end on small generated data and untrained GAN exports."""

from __future__ import annotations

import contextlib
import io
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

import zoo
from zoo.data import load_mnist
from zoo.evaluation.classifiers import classify, load_or_train_digit_classifier
from zoo.evaluation.sampling import is_conditional, sample_images
from zoo.export import export_model
from zoo.export_format import METADATA_FILE
from zoo.registry import get_entry
from helpers import benchmark_script, write_mnist_idx

EXPECTED_KEYS = {
    "entry", "model", "conditional", "data", "train_split", "held_out_split", "classifier",
    "classifier_trained_now", "classifier_held_out_accuracy", "generated_images",
    "train_images", "held_out_images", "seed", "digit_shares", "reverse_kl_to_uniform",
    "mean_confidence", "feature_dim", "frechet_distance", "frechet_distance_real_floor",
    "conditional_accuracy", "seconds",
}


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, Path]:
    """Untrained exports of both MNIST GAN entries, made once for the module."""
    root = tmp_path_factory.mktemp("exported")
    return {name: export_model(zoo.build(name), get_entry(name), root)
            for name in ("dcgan_mnist", "cgan_mnist")}


def _run(capsys, *flags: str) -> tuple[int, str, str]:
    code = benchmark_script("gan_quality").main(list(flags))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _tiny(entry: str, model: Path, data_dir: Path, run_dir: Path, *extra: str) -> list[str]:
    return ["--entry", entry, "--model", str(model), "--data-dir", str(data_dir),
            "--train-split", "train", "--held-out-split", "test", "--run-dir", str(run_dir),
            "--classifier-epochs", "1", "--classifier-batch-size", "16", *extra]


def _result(output: str) -> dict:
    return json.loads([line for line in output.splitlines() if line.startswith("{")][-1])


@pytest.fixture(scope="module")
def first_run(exports, tmp_path_factory) -> dict:
    """The unconditional export's first run, which trains the classifier and caches it; the
    other tests start from a copy of its cache rather than train their own."""
    root = tmp_path_factory.mktemp("first_run")
    data_dir, run_dir = write_mnist_idx(root / "mnist"), root / "run"
    flags = _tiny("dcgan_mnist", exports["dcgan_mnist"], data_dir, run_dir, "--count", "30",
                  "--chunk", "8")
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = benchmark_script("gan_quality").main(flags)
    return {"code": code, "output": output.getvalue(), "flags": flags, "data_dir": data_dir,
            "run_dir": run_dir}


def _cached_classifier(first_run: dict, tmp_path: Path) -> Path:
    """A copy of the classifier cache of the first run."""
    return Path(shutil.copytree(first_run["run_dir"], tmp_path / "run"))


def _check_figures(result: dict) -> None:
    assert set(result) == EXPECTED_KEYS
    shares = result["digit_shares"]
    assert len(shares) == 10 and all(share >= 0 for share in shares)
    assert sum(shares) == pytest.approx(1.0, abs=1e-5)
    assert 0.0 <= result["reverse_kl_to_uniform"] <= math.log(10) + 1e-6
    assert result["reverse_kl_to_uniform"] == pytest.approx(
        sum(p * math.log(10 * p) for p in shares if p > 0), abs=1e-4)
    assert result["frechet_distance"] >= 0 and result["frechet_distance_real_floor"] >= 0
    assert result["feature_dim"] == 128
    assert result["train_images"] == 64 and result["held_out_images"] == 16


def _check_against_the_classifier(result: dict, export: Path, data_dir: Path, run_dir: Path,
                                  count: int, chunk: int) -> None:
    """Recomputes the classifier figures from the cached classifier and the same draws."""
    train_images, train_labels = load_mnist("train", data_dir)
    held_images, held_labels = load_mnist("test", data_dir)
    classifier, trained_now = load_or_train_digit_classifier(run_dir, train_images, train_labels,
                                                             1, 16)
    assert not trained_now
    _, held_probabilities = classify(classifier, held_images)
    assert result["classifier_held_out_accuracy"] == pytest.approx(
        np.mean(held_probabilities.argmax(axis=1) == held_labels), abs=1e-5)
    images, requested = sample_images(zoo.load(export), count, seed=0, chunk=chunk)
    _, probabilities = classify(classifier, images)
    assert result["mean_confidence"] == pytest.approx(probabilities.max(axis=1).mean(), abs=1e-5)
    if requested is not None:
        assert result["conditional_accuracy"] == pytest.approx(
            np.mean(probabilities.argmax(axis=1) == requested), abs=1e-5)


def test_unconditional_export_gets_every_figure_and_the_classifier_is_cached(exports, first_run,
                                                                            capsys):
    run_dir, data_dir = first_run["run_dir"], first_run["data_dir"]
    output = first_run["output"]
    assert first_run["code"] == 0, output
    first = _result(output)
    _check_figures(first)
    _check_against_the_classifier(first, exports["dcgan_mnist"], data_dir, run_dir, 30, 8)
    assert first["generated_images"] == 30
    assert first["conditional"] is False and first["conditional_accuracy"] is None
    assert first["classifier_trained_now"] is True
    assert "trained the classifier" in output and "held-out accuracy" in output
    assert "generated (30) vs held-out real (16)" in output
    assert "training real (64) vs held-out real (16)" in output
    classifier = run_dir / "classifier.keras"
    assert classifier.is_file() and (run_dir / "classifier.json").is_file()
    # Written under a temporary name and renamed: nothing else is left behind.
    assert sorted(path.name for path in run_dir.iterdir()) == ["classifier.json",
                                                               "classifier.keras"]
    written = classifier.stat().st_mtime_ns

    code, output, error = _run(capsys, *first_run["flags"], "--update-metadata")
    assert code == 0, error
    second = _result(output)
    metadata = json.loads((exports["dcgan_mnist"] / METADATA_FILE).read_text())
    assert metadata["evaluation"]["gan_quality"] == second and metadata["entry"] == "dcgan_mnist"
    assert "loaded the cached classifier" in output and "trained the classifier" not in output
    assert second["classifier_trained_now"] is False
    assert classifier.stat().st_mtime_ns == written
    # The same classifier and the same seeds give the same figures.
    for key in ("classifier_held_out_accuracy", "digit_shares", "frechet_distance",
                "frechet_distance_real_floor", "mean_confidence"):
        assert second[key] == first[key], key


def test_conditional_export_draws_each_class_equally_and_reports_accuracy(
        exports, first_run, tmp_path, capsys):
    run_dir = _cached_classifier(first_run, tmp_path)
    code, output, error = _run(capsys, *_tiny(
        "cgan_mnist", exports["cgan_mnist"], first_run["data_dir"], run_dir,
        "--count", "25", "--chunk", "4"))
    assert code == 0, error
    result = _result(output)
    _check_figures(result)
    assert result["conditional"] is True
    assert result["generated_images"] == 20  # 25 // 10 per class
    _check_against_the_classifier(result, exports["cgan_mnist"], first_run["data_dir"], run_dir,
                                  25, 4)
    assert "(2 per class)" in output
    assert "accuracy against the requested digits" in output


def test_sample_images_uses_a_fresh_seed_per_call_and_labels_each_class(exports):
    dcgan, cgan = zoo.load(exports["dcgan_mnist"]), zoo.load(exports["cgan_mnist"])
    assert not is_conditional(dcgan) and is_conditional(cgan)
    images, labels = sample_images(dcgan, 10, seed=3, chunk=4)
    assert images.shape == (10, 28, 28, 1) and images.dtype == np.float32 and labels is None
    np.testing.assert_array_equal(images[:4], dcgan.sample(4, 3))
    np.testing.assert_array_equal(images[4:8], dcgan.sample(4, 4))
    images, labels = sample_images(cgan, 30, seed=0, chunk=2)
    assert images.shape == (30, 28, 28, 1)
    np.testing.assert_array_equal(np.bincount(labels), np.full(10, 3))
    with pytest.raises(ValueError, match="at least 10"):
        sample_images(cgan, 5, seed=0)


def test_a_classifier_cached_with_other_settings_is_refused(exports, first_run, tmp_path,
                                                           capsys):
    run_dir = _cached_classifier(first_run, tmp_path)
    written = (run_dir / "classifier.keras").stat().st_mtime_ns
    code, _, error = _run(capsys, *_tiny("dcgan_mnist", exports["dcgan_mnist"],
                                         first_run["data_dir"], run_dir, "--count", "10",
                                         "--classifier-epochs", "2"))
    assert code == 2
    assert error.startswith("error: the cached classifier") and "epochs" in error
    assert len(error.strip().splitlines()) == 1
    assert (run_dir / "classifier.keras").stat().st_mtime_ns == written


def test_a_missing_export_is_a_one_line_error(mnist_idx_dir, tmp_path, capsys):
    code, _, error = _run(capsys, *_tiny("dcgan_mnist", tmp_path / "none", mnist_idx_dir,
                                         tmp_path / "run"))
    assert code == 2
    assert "No export directory" in error and len(error.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_missing_data_is_a_one_line_error(exports, tmp_path, capsys):
    code, _, error = _run(capsys, *_tiny("dcgan_mnist", exports["dcgan_mnist"],
                                         tmp_path / "no_data", tmp_path / "run"))
    assert code == 2
    assert "no_data" in error and len(error.strip().splitlines()) == 1


def test_an_export_of_another_entry_is_refused(exports, mnist_idx_dir, tmp_path, capsys):
    code, _, error = _run(capsys, *_tiny("cgan_mnist", exports["dcgan_mnist"], mnist_idx_dir,
                                         tmp_path / "run"))
    assert code == 2 and "--entry dcgan_mnist" in error


@pytest.mark.parametrize("bad", [["--count", "0"], ["--chunk", "-1"],
                                 ["--classifier-epochs", "0"], ["--entry", "vae_mnist"]])
def test_bad_flags_are_refused(bad):
    with pytest.raises(SystemExit):
        benchmark_script("gan_quality").main(bad)
