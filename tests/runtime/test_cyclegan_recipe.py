"""The CycleGAN recipes as a user runs them: offline, and with flags the model refuses
(tests/runtime/test_every_entry.py trains horse2zebra from tensorflow-datasets' mock data)."""

from __future__ import annotations


import pytest

from zoo.runtime.train import main
from helpers import go_offline, write_unpaired_folder


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
