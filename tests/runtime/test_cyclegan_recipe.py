"""The CycleGAN recipes as a user runs them: tensorflow-datasets, a folder, offline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import zoo
from zoo.runtime.train import main
from helpers import go_offline, write_unpaired_folder

TINY = ("--image-size", "32", "--filters", "2", "--residual-blocks", "1", "--epochs", "2",
        "--steps-per-epoch", "2")


def _check_export(version: Path, out: Path) -> None:
    loaded = zoo.load(version)
    assert list(loaded.signatures) == ["a_to_b", "b_to_a", "a_to_b_bytes", "b_to_a_bytes"]
    assert loaded.metadata["model_config"]["image_size"] == 32
    assert loaded.metadata["training"]["augment"] == "jitter"
    assert loaded.metadata["training"]["schedule"] == "linear_decay"
    photo = np.full((1, 48, 36, 3), 0.5, np.float32)  # any size divisible by 4
    assert loaded.a_to_b(photo).shape == loaded.b_to_a(photo).shape == (1, 48, 36, 3)
    assert {"translations.png", "history.png"} <= {path.name for path in (out / "plots").iterdir()}
    history = (out / "history.csv").read_text().splitlines()[0].split(",")
    assert {"g_ab", "g_ba", "cycle_a", "cycle_b", "identity_a", "identity_b", "d_a",
            "d_b"} <= set(history)
    assert sorted(path.name for path in (out / "samples").iterdir()) == [
        "epoch_0001.png", "epoch_0002.png"]


def test_horse2zebra_trains_from_tensorflow_datasets_by_default(tmp_path, monkeypatch):
    import tensorflow_datasets as tfds

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    out = tmp_path / "run"
    with tfds.testing.mock_data(num_examples=4):
        assert main("cyclegan_horse2zebra", [*TINY, "--out", str(out), "--export-dir",
                                             str(tmp_path / "exported")]) == 0
    _check_export(tmp_path / "exported" / "cyclegan_horse2zebra" / "1", out)


def test_horse2zebra_offline_without_data_dir_is_one_sentence_and_writes_nothing(
        tmp_path, monkeypatch, capsys):
    go_offline(monkeypatch, tmp_path)
    assert main("cyclegan_horse2zebra", ["--out", str(tmp_path / "run"), "--export-dir",
                                         str(tmp_path / "exported")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert errors == [err.strip().splitlines()[-1]]
    assert errors[0].startswith("error: Could not load horse2zebra")
    assert "--data-dir" in errors[0] and "trainA/, trainB/, testA/ and testB/" in errors[0]
    written = (tmp_path / "run", tmp_path / "exported", tmp_path / "keras" / "datasets")
    assert not any(path.exists() for path in written)


@pytest.mark.parametrize("flags, message", [
    (("--image-size", "30"), "image_size must be a multiple of 4"),
    (("--residual-blocks", "0"), "--residual-blocks must be positive"),
])
def test_bad_model_flags_are_one_error_line(tmp_path, flags, message, capsys):
    argv = ["--data-dir", str(write_unpaired_folder(tmp_path / "h2z", count=1)), *flags,
            "--out", str(tmp_path / "run")]
    try:
        status = main("cyclegan_horse2zebra", argv)
    except SystemExit as usage_error:  # what argparse does with a flag it refuses
        status = usage_error.code
    err = capsys.readouterr().err
    assert status == 2 and "Traceback" not in err
    assert message in err.strip().splitlines()[-1]
    assert not (tmp_path / "run").exists()
