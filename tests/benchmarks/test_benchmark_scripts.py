"""The benchmark scripts run end to end on small generated data and print their figures; they
hide TensorFlow's start-up lines as the zoo command does."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import zoo
from zoo.evaluation.throughput import float32_baseline
from zoo.export import export_model
from zoo.export_format import METADATA_FILE
from zoo.registry import get_entry
from helpers import REPO, benchmark_script


def test_likelihood_benchmark_reports_a_bound_and_records_it(tmp_path, mnist_idx_dir, capsys):
    version = export_model(zoo.build("vae_mnist"), get_entry("vae_mnist"), tmp_path)
    assert benchmark_script("vae_likelihood").main([
        "--model", str(version), "--data-dir", str(mnist_idx_dir), "--split", "test[:6]",
        "--k", "20", "--elbo-draws", "20", "--batch-size", "4", "--update-metadata"]) == 0
    output = capsys.readouterr().out
    result = json.loads([line for line in output.splitlines() if line.startswith("{")][-1])
    assert result["images"] == 6 and result["k"] == 20
    # The importance-weighted estimate is a tighter bound than the ELBO.
    assert result["nll_nats"] <= result["negative_elbo_nats"] + 0.5
    assert "IWAE (k=50), Burda et al. 2016" in output
    metadata = json.loads((version / METADATA_FILE).read_text())
    assert metadata["evaluation"] == {"vae_likelihood": result}
    assert metadata["entry"] == "vae_mnist"  # the rest of the metadata is kept


def test_likelihood_benchmark_names_a_missing_model(tmp_path, capsys):
    assert benchmark_script("vae_likelihood").main(["--model", str(tmp_path / "none")]) == 2
    assert "No export directory" in capsys.readouterr().err


@pytest.mark.parametrize("bad", [["--k", "0"], ["--batch-size", "-1"]])
def test_likelihood_benchmark_refuses_bad_flags(bad):
    with pytest.raises(SystemExit):
        benchmark_script("vae_likelihood").main(bad)


def _pairs_folder(root):
    import tensorflow as tf

    (root / "train").mkdir(parents=True)
    for index in range(4):
        pixels = np.random.default_rng(index).integers(0, 256, (20, 40, 3), np.uint8)
        (root / "train" / f"{index}.png").write_bytes(tf.io.encode_png(pixels).numpy())
    return root


def test_throughput_benchmark_prints_the_rates_and_their_ratios(tmp_path, capsys):
    # Image files read as the stream runs, two networks, and the tutorial-style baseline.
    data_dir = _pairs_folder(tmp_path / "facades")
    assert benchmark_script("train_throughput").main([
        "--entry", "pix2pix_facades", "--data-dir", str(data_dir), "--split", "train",
        "--batch-size", "2", "--steps", "2", "--runs", "2", "--precision", "float32",
        "--image-size", "32", "--filters", "4"]) == 0
    output = capsys.readouterr().out
    result = json.loads(output.strip().splitlines()[-1])
    assert result["pipeline"] > 0 and result["in_memory"] > 0 and result["pipeline_alone"] > 0
    assert result["ratio_pipeline_to_in_memory"] == pytest.approx(
        result["pipeline"] / result["in_memory"], abs=1e-3)
    assert "pipeline / in-memory" in output
    # The entry's step in its precision against the tutorial-style float32 step.
    assert result["float32_baseline"] > 0 and result["precision"] == "float32"
    assert result["ratio_in_memory_to_float32_baseline"] == pytest.approx(
        result["in_memory"] / result["float32_baseline"], abs=1e-3)
    assert "in-memory (float32) / float32 baseline" in output


def test_throughput_benchmark_finds_a_baseline_in_its_family_folder():
    # zoo/families/<family>/baseline.py is optional: the autoencoder has none.
    script = benchmark_script("train_throughput")
    assert script.baseline_step("vae") is importlib.import_module(
        "zoo.families.vae.baseline").step
    assert script.baseline_step("autoencoder") is None


def test_throughput_benchmark_measures_a_family_without_a_baseline(mnist_idx_dir, capsys):
    # The entry's step in the precision asked for, and no baseline beside it.
    assert benchmark_script("train_throughput").main([
        "--entry", "ae_mnist", "--data-dir", str(mnist_idx_dir), "--split", "train",
        "--batch-size", "8", "--steps", "2", "--runs", "1", "--skip-pipeline",
        "--precision", "mixed_bfloat16"]) == 0
    output = capsys.readouterr().out
    result = json.loads(output.strip().splitlines()[-1])
    assert result["in_memory"] > 0 and "pipeline" not in result
    assert result["precision"] == "mixed_bfloat16" and "precision mixed_bfloat16" in output
    assert result["float32_baseline"] is None
    assert result["ratio_in_memory_to_float32_baseline"] is None
    assert "no float32 baseline" in output
    assert ("float32 baseline         n/a  (the autoencoder family has no tutorial-style step)"
            in output)
    assert "in-memory (mixed_bfloat16) / float32 baseline = n/a" in output


def test_the_vae_baseline_step_updates_the_networks_with_a_finite_loss():
    entry = get_entry("vae_mnist")
    config = {**entry.model_config, "filters": (4, 8), "hidden_units": 0, "latent_dim": 2}
    step = float32_baseline(entry, config, 2, 1,
                            benchmark_script("train_throughput").baseline_step("vae"))
    images = np.random.default_rng(0).uniform(size=(4, 28, 28, 1)).astype(np.float32)
    first, second = float(step(images)), float(step(images))
    assert np.isfinite(first) and np.isfinite(second) and first != second


LOG_MARKERS = ("tensorflow/", "oneDNN", "absl::InitializeLog", "cuda", "cpu_feature_guard")
"""Pieces of TensorFlow's start-up and C++ log lines."""
SCRIPTS = sorted(path.stem for path in (REPO / "benchmarks").glob("*.py"))


@pytest.mark.parametrize("name", SCRIPTS)
def test_a_script_hides_tensorflow_start_up_lines_unless_verbose(name):
    """As the `zoo` command and the recipes: the scripts import TensorFlow at their top, and
    its C++ start-up lines would come first on stderr."""
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    quiet = subprocess.run([sys.executable, str(REPO / "benchmarks" / f"{name}.py"), "--help"],
                           capture_output=True, text=True, timeout=300, env=env, cwd=REPO)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    assert "--verbose" in quiet.stdout
    if name == SCRIPTS[0]:
        loud = subprocess.run([sys.executable, str(REPO / "benchmarks" / f"{name}.py"),
                               "--verbose", "--help"], capture_output=True, text=True,
                              timeout=300, env=env, cwd=REPO)
        assert loud.returncode == 0 and loud.stdout == quiet.stdout
        assert any(marker in loud.stderr for marker in LOG_MARKERS), loud.stderr
