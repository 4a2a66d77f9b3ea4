"""`--precision` as a user runs it: recorded with the run and the export, kept on resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import zoo
from zoo.runtime.train import main


def _run(mnist_idx_dir: Path, tmp_path: Path, *extra: str) -> list[str]:
    return ["--data-dir", str(mnist_idx_dir), "--out", str(tmp_path / "run"),
            "--export-dir", str(tmp_path / "exported"), "--batch-size", "8",
            "--steps-per-epoch", "2", *extra]


def test_a_resumed_run_keeps_its_precision_and_refuses_another(tmp_path, mnist_idx_dir,
                                                               monkeypatch, capsys):
    # The first run stops after its first epoch's checkpoint, as if the machine went down
    # before the export.
    def power_cut(*args, **kwargs):
        raise RuntimeError("power cut")

    with monkeypatch.context() as patch:
        patch.setattr("zoo.runtime.train.export_model", power_cut)
        with pytest.raises(RuntimeError, match="power cut"):
            main("vae_mnist", _run(mnist_idx_dir, tmp_path, "--epochs", "1",
                                   "--precision", "mixed_float16"))
    run_file = tmp_path / "run" / "run.json"
    assert json.loads(run_file.read_text())["precision"] == "mixed_float16"
    capsys.readouterr()

    recorded = run_file.read_text()
    assert main("vae_mnist", _run(mnist_idx_dir, tmp_path, "--epochs", "2",
                                  "--precision", "float32")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: --out {tmp_path / 'run'} holds a run trained with --precision "
                   "mixed_float16, not float32; resume with --precision mixed_float16 (or "
                   "auto), or choose another --out."]
    assert run_file.read_text() == recorded

    # `auto` resumes in the recorded precision, loss scales and all, whatever this machine
    # would pick for a new run.
    assert main("vae_mnist", _run(mnist_idx_dir, tmp_path, "--epochs", "2")) == 0
    err = capsys.readouterr().err
    assert "(1 epoch done)" in err and "epoch 2 of 2, 2 steps of 8 examples each" in err
    assert "precision mixed_float16" in err
    training = zoo.load(tmp_path / "exported" / "vae_mnist" / "1").metadata["training"]
    assert training["precision"] == "mixed_float16"
    assert "--precision mixed_float16" in training["command"]
