"""The translation benchmark: figures recomputed from the exports, ablation beside, picture."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.export import METADATA_FILE, export_model
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
        "--split", "test", "--classifier-train-split", "train", "--run-dir",
        str(tmp_path / "classifier"), "--picture", str(picture), "--update-metadata"]) == 0
    output = capsys.readouterr().out
    result = _json(output.split("recorded in")[0])
    assert result["examples"] == 16 and "L1 only (lambda_gan=0)" in output
    # The L1 figure is the mean absolute error of the export's completions to the digits.
    data = _script().held_out("pix2pix_mnist_inpaint", "test", str(mnist_idx_dir), 32)
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
    data = _script().held_out("pix2pix_facades", "test", str(tmp_path / "facades"), 32)
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
