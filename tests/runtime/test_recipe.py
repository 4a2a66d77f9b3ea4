"""The recipe as a user runs it: flags, errors, a distributed run, and resuming after SIGKILL."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tensorflow as tf

import zoo
from zoo.registry import get_entry
from zoo.runtime.cli import build_parser, parse_args
from zoo.runtime.train import main, train
from helpers import REPO

RECIPES = REPO / "recipes"
RECIPE = RECIPES / "vae_mnist.py"
FLAGS = ("--epochs", "--batch-size", "--learning-rate", "--data-dir", "--out", "--export-dir",
         "--seed", "--strategy", "--steps-per-epoch", "--jit-compile")


def _recipe(*args: str, entry: str = "vae_mnist", timeout: float = 300
            ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(RECIPES / f"{entry}.py"), *args], capture_output=True, text=True,
                          timeout=timeout, env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"})


def _small_run(mnist_idx_dir: Path, tmp_path: Path, *extra: str) -> list[str]:
    return ["--data-dir", str(mnist_idx_dir), "--out", str(tmp_path / "run"),
            "--export-dir", str(tmp_path / "exported"), "--batch-size", "8",
            "--steps-per-epoch", "2", *extra]


def test_help_documents_every_uniform_flag():
    text = build_parser(get_entry("vae_mnist")).format_help()
    for flag in FLAGS:
        assert re.search(rf"{flag}\b.*\n?\s+\S", text), flag
    assert "default: 128" in text  # the entry's global batch size


@pytest.mark.parametrize("flag, value, message", [
    ("--batch-size", "0", "--batch-size must be positive; got 0"),
    ("--epochs", "two", "--epochs must be an integer; got 'two'"),
    ("--learning-rate", "=-1e-3", "--learning-rate must be positive"),
    ("--strategy", "tpu", "invalid choice: 'tpu'"),
    ("--jit-compile", "maybe", "invalid choice: 'maybe'"),
])
def test_bad_flags_exit_with_a_message_naming_the_flag(flag, value, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_args(get_entry("vae_mnist"), [flag + value] if value[0] == "=" else [flag, value])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_missing_data_is_one_sentence_not_a_traceback(tmp_path):
    empty = tmp_path / "no-data"
    empty.mkdir()
    # Unroutable proxy: tensorflow-datasets' download attempt fails fast on any machine.
    result = subprocess.run(
        [sys.executable, str(RECIPE), "--data-dir", str(empty), "--out", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=300,
        env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3", "HTTPS_PROXY": "http://127.0.0.1:9",
                          "HTTP_PROXY": "http://127.0.0.1:9"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: Could not load MNIST") and "--data-dir" in last
    assert not (tmp_path / "exported").exists() and not (tmp_path / "run").exists()


def test_an_out_folder_that_is_not_a_run_is_left_alone(tmp_path, mnist_idx_dir, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert main("vae_mnist", ["--data-dir", str(mnist_idx_dir), "--out", str(out)]) == 2
    assert "is not a zoo run directory" in capsys.readouterr().err
    assert [path.name for path in out.iterdir()] == ["notes.txt"]


def test_a_mirrored_run_trains_checkpoints_logs_and_exports(tmp_path, mnist_idx_dir, mirrored,
                                                            monkeypatch):
    # The session's two-replica strategy: a second one in the same process would share
    # collective-op state with it.
    asked = []
    monkeypatch.setattr("zoo.runtime.train.resolve_strategy",
                        lambda name: asked.append(name) or mirrored)
    args = parse_args(get_entry("vae_mnist"), _small_run(
        mnist_idx_dir, tmp_path, "--epochs", "2", "--strategy", "mirrored"))
    version = train(get_entry("vae_mnist"), args)
    out = tmp_path / "run"
    assert asked == ["mirrored"]

    assert version == tmp_path / "exported" / "vae_mnist" / "1"
    assert tf.train.latest_checkpoint(str(out / "checkpoints")).endswith("ckpt-2")
    assert sorted(path.name for path in (out / "samples").iterdir()) == [
        "epoch_0001.png", "epoch_0002.png"]
    assert {"train", "validation"} <= {path.name for path in (out / "tensorboard").iterdir()}
    assert {"samples.png", "reconstructions.png", "latent_traversals.png"} <= {
        path.name for path in (out / "plots").iterdir()}
    history = (out / "history.csv").read_text().splitlines()
    assert history[0].split(",")[0] == "epoch" and len(history) == 3
    metadata = zoo.load(version).metadata
    assert metadata["training"]["epochs"] == 2 and metadata["training"]["train_examples"] == 64
    assert metadata["training"]["command"].startswith("python recipes/vae_mnist.py --epochs 2 ")
    assert "--strategy mirrored" in metadata["training"]["command"]
    assert json.loads((out / "run.json").read_text())["export"] == str(version)
    # Resuming with a different batch would not continue the same run.
    with pytest.raises(Exception, match="started with --batch-size 8"):
        train(get_entry("vae_mnist"), parse_args(get_entry("vae_mnist"), _small_run(
            mnist_idx_dir, tmp_path, "--epochs", "3", "--batch-size", "4")))


@pytest.mark.parametrize("entry, epochs", [("vae_mnist", 30), ("dcgan_mnist", 8)])
def test_a_killed_run_resumes_from_its_checkpoint_and_a_finished_run_is_not_retrained(
        tmp_path, mnist_idx_dir, entry, epochs):
    args = _small_run(mnist_idx_dir, tmp_path, "--epochs", str(epochs))
    index = tmp_path / "run" / "checkpoints" / "checkpoint"
    process = subprocess.Popen([sys.executable, str(RECIPES / f"{entry}.py"), *args], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"})
    deadline = time.monotonic() + 240
    while not index.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    saved = int(tf.train.latest_checkpoint(str(index.parent)).rsplit("-", 1)[1])
    assert 1 <= saved < epochs, "the first run should have been killed mid-training"
    assert not (tmp_path / "exported").exists()

    resumed = _recipe(*args, entry=entry)
    assert resumed.returncode == 0, resumed.stderr
    assert f"(epoch {saved} done)" in resumed.stdout
    trained = [int(number) for number in re.findall(rf"^Epoch (\d+)/{epochs}", resumed.stdout,
                                                      re.M)]
    assert trained == list(range(saved + 1, epochs + 1))
    assert (tmp_path / "exported" / entry / "1" / "saved_model.pb").is_file()

    again = _recipe(*args, entry=entry)
    assert again.returncode == 0 and "nothing to do" in again.stdout
    assert "Epoch" not in again.stdout
    assert sorted(path.name for path in (tmp_path / "exported" / entry).iterdir()) == ["1"]
