"""`python -m zoo` (the `zoo` command): list and sample, every input a shipped export needs,
errors as one line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.__main__ import main
from helpers import REPO


def _png(path: Path) -> np.ndarray:
    return tf.io.decode_png(path.read_bytes()).numpy()


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def test_list_names_every_entry(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name, description in zoo.available().items():
        assert f"{name} " in out and description in out


def test_sample_draws_a_grid_from_the_shipped_vae(tmp_path, capsys):
    out = tmp_path / "grid.png"
    # Any int64 seed, negative ones included, as the signature takes.
    assert main(["sample", "vae_mnist", "--count", "4", "--seed", "-3", "--out", str(out)]) == 0
    assert "wrote 4 samples" in capsys.readouterr().out
    grid = _png(out)
    assert grid.shape == (2 * 28 + 1, 2 * 28 + 1, 1)
    expected = zoo.load("vae_mnist").sample(count=4, seed=-3)
    np.testing.assert_allclose(grid[:28, :28, 0] / 255.0, expected[0, ..., 0],
                               atol=0.5 / 255 + 1e-6)


def test_a_conditional_model_draws_one_row_per_class_or_the_asked_label(tmp_path, capsys):
    rows = tmp_path / "rows.png"
    assert main(["sample", "cgan_mnist", "--count", "3", "--out", str(rows)]) == 0
    assert _png(rows).shape == (10 * 29 - 1, 3 * 29 - 1, 1)
    # Progress on stderr, one line per class drawn; stdout keeps the result alone.
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [f"[zoo] drew class {label} ({label + 1}/10 rows)"
                                         for label in range(10)]
    assert captured.out.splitlines() == [f"wrote 30 samples of {zoo.load('cgan_mnist').path} "
                                         f"to {rows}"]
    sevens = tmp_path / "sevens.png"
    assert main(["sample", "cgan_mnist", "--label", "7", "--count", "2", "--seed", "1",
                 "--out", str(sevens)]) == 0
    expected = zoo.load("cgan_mnist").sample(count=2, seed=1, label=7)
    np.testing.assert_allclose(_png(sevens)[:28, :28, 0] / 255.0, expected[0, ..., 0],
                               atol=0.5 / 255 + 1e-6)
    # Row 7 of the per-class grid is the same draw as --label 7 with that count.
    row_seven = _png(rows)[7 * 29:7 * 29 + 28, :28, 0]
    np.testing.assert_allclose(row_seven / 255.0,
                               zoo.load("cgan_mnist").sample(count=3, seed=0, label=7)[0, ..., 0],
                               atol=0.5 / 255 + 1e-6)


@pytest.mark.parametrize("argv, message", [
    (["sample", "cgan_mnist", "--label", "12"], "error: --label must be 0 to 9 for cgan_mnist; "
                                                "got 12."),
    (["sample", "vae_mnist", "--count", "5000"], "error: --count must be 1 to 4096 for vae_mnist; "
                                                 "got 5000."),
    # Without --label, --count is per class: checked against the same bound.
    (["sample", "cgan_mnist", "--count", "4097"], "error: --count must be 1 to 4096 for "
                                                  "cgan_mnist; got 4097."),
    (["sample", "vae_mnist", "--label", "3"], "vae_mnist is not class-conditional; drop --label."),
    (["sample", "vae_cifar"], "Unknown zoo entry 'vae_cifar'"),
    (["sample", "vae_mnist", "--version", "9"], "no version 9"),
])
def test_bad_requests_are_one_error_line(argv, message, tmp_path, capsys):
    assert main([*argv, "--out", str(tmp_path / "x.png")]) == 2
    assert message in _one_error_line(capsys)
    assert not (tmp_path / "x.png").exists()


def test_an_unwritable_out_is_one_error_line(tmp_path, capsys):
    folder = tmp_path / "grid.png"  # a folder where the PNG would go
    folder.mkdir()
    assert main(["sample", "vae_mnist", "--count", "1", "--out", str(folder)]) == 2
    assert f"cannot write {folder}" in _one_error_line(capsys)
    # A file where a folder of the path would go: named before anything is drawn.
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["sample", "vae_mnist", "--out", str(blocker / "sub" / "grid.png")]) == 2
    assert _one_error_line(capsys) == (f"error: cannot write --out {blocker / 'sub' / 'grid.png'}: "
                                      f"{blocker} is a file, not a folder; choose another --out.")


@pytest.mark.parametrize("damage", ["truncated-zoo-json", "empty-zoo-json", "truncated-variables"])
def test_a_damaged_export_is_one_error_line_from_the_command(damage, tmp_path):
    copy = tmp_path / "vae_mnist" / "1"
    shutil.copytree(REPO / "exported" / "vae_mnist" / "1", copy)
    if damage == "truncated-zoo-json":
        target = copy / "zoo.json"
        target.write_text(target.read_text()[:100])
    elif damage == "empty-zoo-json":
        target = copy / "zoo.json"
        target.write_text("{}")
    else:
        target = next((copy / "variables").glob("variables.data-*"))
        target.write_bytes(target.read_bytes()[:1000])
    result = subprocess.run([sys.executable, "-m", "zoo", "sample", str(copy), "--out",
                             str(tmp_path / "x.png")], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 2, result.stderr
    err = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(err) == 1 and "Traceback" not in result.stderr
    assert str(copy) in err[0] and target.name in err[0]
    assert not (tmp_path / "x.png").exists()
