"""benchmarks/compare_generators.py end to end on small generated data and untrained tiny
exports: a GAN, and a diffusion model whose sample() takes steps and eta."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest

from zoo.export import export_model
from zoo.export_format import METADATA_FILE
from zoo.families import get_family
from zoo.registry import ENTRIES
from helpers import benchmark_script, write_mnist_idx
from serving_exports import tiny_case

TOP_KEYS = {"data", "train_split", "held_out_split", "train_images", "held_out_images", "count",
            "seed", "chunk", "k", "confident_threshold", "classifier", "classifier_trained_now",
            "classifier_held_out_accuracy", "held_out", "floor", "models", "skipped", "seconds"}
MODEL_KEYS = {"entry", "export", "parameters", "parameters_by_network", "training", "rows"}
ROW_KEYS = {"settings", "generated_images", "frechet_distance", "precision", "recall",
            "reverse_kl_to_uniform", "digit_shares", "confident_share", "mean_confidence",
            "sampling_seconds", "sampling_seconds_per_image"}


def _export(root: Path, name: str, **changes) -> Path:
    case = tiny_case(name)
    model = get_family(case.family).model_class(**{**case.config, **changes}, seed=0)
    return export_model(model, case.entry(), root)


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> dict:
    """The tiny GAN's export, the tiny diffusion model's at MNIST's 28 x 28 (without its
    attention blocks), MNIST-format data (64 training and 16 test images), and the folder the
    first run caches the classifier in."""
    root = tmp_path_factory.mktemp("compare")
    exports = {"gan": _export(root / "exported", "gan"),
               "diffusion": _export(root / "exported", "diffusion", image_shape=(28, 28, 1),
                                    attention_resolutions=())}
    data_dir = write_mnist_idx(root / "mnist")
    return {"root": root, "exports": exports, "data_dir": data_dir, "run_dir": root / "run"}


def _flags(setup: dict, *extra: str, run_dir: Path | None = None) -> list[str]:
    return ["--data-dir", str(setup["data_dir"]), "--train-split", "train",
            "--held-out-split", "test", "--run-dir", str(run_dir or setup["run_dir"]),
            "--classifier-epochs", "1", "--classifier-batch-size", "16", "--count", "12",
            "--chunk", "5", "--steps", "1", "2", "--etas", "0", "1", *extra]


def _run(capsys, flags: list[str]) -> tuple[int, str, str]:
    code = benchmark_script("compare_generators").main(flags)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def first_run(setup) -> dict:
    """Both exports compared, with --json and --record; trains the classifier."""
    gan, diffusion = str(setup["exports"]["gan"]), str(setup["exports"]["diffusion"])
    figures = setup["root"] / "figures.json"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = benchmark_script("compare_generators").main(_flags(
            setup, "--models", gan, diffusion, "--json", str(figures), "--record"))
    return {"code": code, "out": out.getvalue(), "err": err.getvalue(), "gan": gan,
            "diffusion": diffusion, "figures": figures}


def _table(out: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip("|").split("|")]
            for line in out.splitlines() if line.startswith("|")]


def test_every_model_and_setting_gets_a_row_beside_the_real_floor(first_run):
    assert first_run["code"] == 0, first_run["err"]
    header, rule, *rows = _table(first_run["out"])
    assert header[:6] == ["model", "steps", "eta", "Fréchet distance", "precision", "recall"]
    assert "confident (p ≥ 0.9)" in header and "parameters" in header
    assert [row[:3] for row in rows] == [
        ["real train (64)", "-", "-"], [f"`{first_run['gan']}`", "-", "-"],
        *([f"`{first_run['diffusion']}`", steps, eta] for steps in "12" for eta in "01")]
    # Exports made outside the runtime record no training time.
    assert all(row[-3:] == ["n/a"] * 3 for row in rows[1:])
    # stdout holds the caption and the table; the progress and the classifier's epochs go to
    # stderr.
    assert first_run["out"].startswith("12 images drawn from each model")
    assert "k = 3" in first_run["out"] and "at least 0.9" in first_run["out"]
    assert "classifier epoch 1/1" in first_run["err"] and "[zoo] trained the classifier" in \
        first_run["err"]
    assert f"[zoo] {first_run['diffusion']}, steps 2, eta 1: 12 images" in first_run["err"]


def test_the_json_holds_every_figure_and_record_writes_each_models(first_run):
    figures = json.loads(first_run["figures"].read_text())
    assert set(figures) == TOP_KEYS
    assert set(figures["floor"]) == {"frechet_distance", "precision", "recall"}
    assert figures["skipped"] == [] and figures["classifier_trained_now"] is True
    assert list(figures["models"]) == [first_run["gan"], first_run["diffusion"]]
    gan, diffusion = figures["models"][first_run["gan"]], figures["models"][first_run["diffusion"]]
    for model in (gan, diffusion):
        assert set(model) == MODEL_KEYS
        assert model["training"] == {"wall_seconds": None, "timed_epochs": None,
                                     "images_per_second": None}
        assert model["parameters"] == sum(model["parameters_by_network"].values()) > 0
        for row in model["rows"]:
            assert set(row) == ROW_KEYS and row["generated_images"] == 12
            assert 0 <= row["precision"] <= 1 and 0 <= row["recall"] <= 1
            assert row["frechet_distance"] >= 0 and row["sampling_seconds_per_image"] > 0
            assert sum(row["digit_shares"]) == pytest.approx(1.0, abs=1e-4)
    assert [row["settings"] for row in gan["rows"]] == [{}]
    assert [row["settings"] for row in diffusion["rows"]] == [
        {"steps": 1, "eta": 0.0}, {"steps": 1, "eta": 1.0}, {"steps": 2, "eta": 0.0},
        {"steps": 2, "eta": 1.0}]
    for name, model in figures["models"].items():
        metadata = json.loads((Path(model["export"]) / METADATA_FILE).read_text())
        record = metadata["evaluation"]["compare_generators"]
        assert record["rows"] == model["rows"] and record["floor"] == figures["floor"]
        assert record["command"].startswith("python benchmarks/compare_generators.py ")


def test_a_default_model_without_an_export_is_left_out_with_a_note(setup, first_run, tmp_path,
                                                                   monkeypatch, capsys):
    script = benchmark_script("compare_generators")
    # A registered entry that no folder of exports holds.
    entries = {**ENTRIES, "unexported_mnist": ENTRIES["dcgan_mnist"]}
    monkeypatch.setattr("zoo.loading.ENTRIES", entries)
    monkeypatch.setattr(script, "ENTRIES", entries)
    monkeypatch.setattr(script, "DEFAULT_MODELS", (first_run["gan"], "unexported_mnist"))
    run_dir = shutil.copytree(setup["run_dir"], tmp_path / "run")
    code = script.main(_flags(setup, run_dir=run_dir))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "[zoo] note: unexported_mnist has no export yet; left out" in captured.err
    assert "Not exported yet, left out: unexported_mnist." in captured.out
    assert len(_table(captured.out)) == 4  # header, rule, floor, the GAN
    # Named explicitly, it is an error.
    code, out, err = _run(capsys, _flags(setup, "--models", "unexported_mnist", run_dir=run_dir))
    assert code == 2 and out == ""
    assert err.startswith("error: No exported versions of 'unexported_mnist'")


def test_an_unknown_model_is_one_error_line(setup, tmp_path, capsys):
    code, out, err = _run(capsys, _flags(setup, "--models", "no_such_model",
                                         run_dir=tmp_path / "run"))
    assert code == 2 and out == ""
    assert err.startswith("error: Unknown zoo entry 'no_such_model'")
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()  # refused before the classifier is trained


def test_images_that_are_not_mnist_digits_are_refused(setup, tmp_path, capsys):
    small = _export(tmp_path / "exported", "diffusion")  # 8 x 8 images
    code, _, err = _run(capsys, _flags(setup, "--models", str(small), run_dir=tmp_path / "run"))
    assert code == 2 and "makes images of shape (8, 8, 1), not the MNIST (28, 28, 1)" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("flags, message", [
    (["--steps", "0"], "--steps must be at least 1; got 0"),
    (["--etas", "1.5"], "--etas must be from 0.0 to 1.0; got 1.5"),
    (["--count", "3"], "--count must be more than --k (3)"),
    (["--models", "dcgan_mnist", "dcgan_mnist"], "--models names dcgan_mnist more than once"),
])
def test_bad_flags_are_one_error_line(flags, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        benchmark_script("compare_generators").parse_args(flags)
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_info.value.code == 2 and len(err) == 1
    assert err[0].startswith("error: ") and message in err[0]


def test_picture_shows_each_models_samples_side_by_side_at_native_size(setup, first_run,
                                                                       tmp_path, capsys):
    import numpy as np
    import tensorflow as tf

    import zoo
    from zoo.evaluation.sampling import sample_images
    from zoo.images import tile, to_uint8

    gan, diffusion = first_run["gan"], first_run["diffusion"]
    path = tmp_path / "nested" / "side_by_side.png"
    # The diffusion panel comes from the row at sample()'s defaults (20 steps, eta 0), not
    # the first row (1 step, eta 1).
    code, _, err = _run(capsys, _flags(setup, "--models", gan, diffusion, "--steps", "1", "20",
                                       "--etas", "1", "0", "--picture", str(path)))
    assert code == 0, err
    assert f"wrote {path}: left to right, {gan}; {diffusion} (steps 20, eta 0)" in err
    pixels = tf.io.decode_png(path.read_bytes()).numpy()
    # 12 images a model: 8 to a row, two rows of 28 px and a 1-px gutter; the panels 8 px
    # apart.
    assert pixels.shape == (57, 231 + 8 + 231, 1)
    assert np.all(pixels[:, 231:239] == 128)
    for name, settings, left in ((gan, {}, 0), (diffusion, {"steps": 20, "eta": 0.0}, 239)):
        images, _ = sample_images(zoo.load(name), 12, seed=0, chunk=5, settings=settings)
        np.testing.assert_array_equal(pixels[:, left:left + 231], to_uint8(tile(images, 8)))


def test_picture_must_name_a_png_file(tmp_path, capsys):
    for given, message in ((tmp_path / "grid.jpg", "name a file ending in .png"),
                           (tmp_path, "is a folder")):
        with pytest.raises(SystemExit):
            benchmark_script("compare_generators").parse_args(["--picture", str(given)])
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0]
