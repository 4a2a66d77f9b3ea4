"""The recipe as a user runs it: flags, errors, a distributed run, and resuming after SIGKILL."""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.errors import RunError
from zoo.registry import get_entry
from zoo.runtime.callbacks import SampleGrid
from zoo.runtime.cli import build_parser, parse_args
from zoo.runtime.train import RunDirectory, main, train
from helpers import REPO, go_offline, write_paired_folder

RECIPES = REPO / "recipes"
RECIPE = RECIPES / "vae_mnist.py"
FLAGS = ("--epochs", "--batch-size", "--learning-rate", "--data-dir", "--out", "--export-dir",
         "--seed", "--strategy", "--steps-per-epoch", "--jit-compile", "--precision")


def _recipe(*args: str, entry: str = "vae_mnist", timeout: float = 300
            ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(RECIPES / f"{entry}.py"), *args],
                          capture_output=True, text=True, timeout=timeout,
                          env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"})


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
    ("--learning-rate", "nan", "--learning-rate must be a finite number; got nan"),
    ("--learning-rate", "inf", "--learning-rate must be a finite number; got inf"),
    ("--learning-rate", "=-inf", "--learning-rate must be a finite number; got -inf"),
    ("--strategy", "tpu", "invalid choice: 'tpu'"),
    ("--jit-compile", "maybe", "invalid choice: 'maybe'"),
])
def test_bad_flags_exit_with_one_line_naming_the_flag(flag, value, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_args(get_entry("vae_mnist"), [flag + value] if value[0] == "=" else [flag, value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]


def test_a_named_model_setting_is_a_flag_offering_its_family_choices(capsys):
    from zoo.families import get_family
    from zoo.registry import ENTRIES
    from zoo.runtime.train import model_config

    # Every entry's flag for a named setting offers the family's names, the default among them.
    for entry in ENTRIES.values():
        for key in entry.flags:
            if isinstance(entry.model_config[key], str):
                assert entry.model_config[key] in get_family(entry.family).choices[key]
    entry = get_entry("ddim_mnist")
    assert "--loss {mae,mse}" in build_parser(entry).format_help()
    assert model_config(entry, parse_args(entry, []))["loss"] == "mae"
    assert model_config(entry, parse_args(entry, ["--loss", "mse"]))["loss"] == "mse"
    with pytest.raises(SystemExit) as exit_info:
        parse_args(entry, ["--loss", "l1"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "--loss: invalid choice: 'l1' (choose from" in err[0]


@pytest.mark.parametrize("flag", ["--out", "--export-dir"])
def test_an_out_or_export_folder_that_cannot_be_made_is_refused_before_training(
        flag, tmp_path, mnist_idx_dir, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    argv = _small_run(mnist_idx_dir, tmp_path, flag, str(blocker / "sub"))
    assert main("vae_mnist", argv) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {flag} {blocker / 'sub'} cannot be made: {blocker} is a file; choose a folder "
        "path."]
    assert not (tmp_path / "run").exists() and not (tmp_path / "exported").exists()


def test_a_run_stopped_before_its_first_checkpoint_starts_afresh_with_new_flags(
        tmp_path, mnist_idx_dir):
    entry = get_entry("vae_mnist")
    first = parse_args(entry, _small_run(mnist_idx_dir, tmp_path, "--batch-size", "16"))
    RunDirectory(first.out, entry, first).save()
    (first.out / "history.csv").write_text("")  # what an interrupted first epoch leaves
    second = parse_args(entry, _small_run(mnist_idx_dir, tmp_path, "--batch-size", "4"))
    run = RunDirectory(second.out, entry, second)
    assert not run.resumed and run.state["flags"]["batch_size"] == 4
    other = parse_args(get_entry("dcgan_mnist"), _small_run(mnist_idx_dir, tmp_path))
    with pytest.raises(RunError, match="holds a run of 'vae_mnist', not 'dcgan_mnist'"):
        RunDirectory(other.out, get_entry("dcgan_mnist"), other)


def test_a_run_of_one_epoch_is_refused_a_new_length_in_words(tmp_path, mnist_idx_dir):
    entry = get_entry("cyclegan_mnist_restyle")  # its learning rates depend on --epochs
    first = parse_args(entry, _small_run(mnist_idx_dir, tmp_path, "--epochs", "1"))
    RunDirectory(first.out, entry, first).save()
    # What the first epoch's checkpoint leaves, as far as the resume check reads it.
    (first.out / "checkpoints").mkdir()
    (first.out / "checkpoints" / "checkpoint").write_text('model_checkpoint_path: "ckpt-1"\n')
    (first.out / "checkpoints" / "ckpt-1.index").write_bytes(b"")
    longer = parse_args(entry, _small_run(mnist_idx_dir, tmp_path, "--epochs", "2"))
    with pytest.raises(RunError, match=r"holds a run of 1 epoch, and cyclegan_mnist_restyle's "):
        RunDirectory(longer.out, entry, longer)


@pytest.mark.parametrize("verbose", [False, True])
def test_missing_data_is_one_sentence_and_tensorflow_start_up_lines_need_verbose(tmp_path,
                                                                                verbose):
    empty = tmp_path / "no-data"
    empty.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    # Unroutable proxy: tensorflow-datasets' download attempt fails fast on any machine.
    result = subprocess.run(
        [sys.executable, str(RECIPE), "--data-dir", str(empty), "--out", str(tmp_path / "run"),
         *(["--verbose"] if verbose else [])],
        capture_output=True, text=True, timeout=300,
        env=env | {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"})
    assert result.returncode == 2 and result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: Could not load MNIST") and "--data-dir" in lines[-1]
    # TensorFlow's start-up lines (CUDA probing, CPU features) only when asked for.
    assert (len(lines) > 1) == verbose, lines
    assert not (tmp_path / "exported").exists() and not (tmp_path / "run").exists()


def _truncate_test_images(folder: Path) -> None:
    path = folder / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())[:1000]))


@pytest.mark.parametrize("flags, damage, message", [
    (["--batch-size", "65"], None,
     "--batch-size 65 is larger than the 64 training examples of 'train'; use a --batch-size "
     "of at most 64."),
    (["--train-split", "train[:abc]"], None, "Unsupported MNIST split 'train[:abc]'"),
    (["--train-split", "train[:20000]"], None,
     "Split 'train[:20000]' asks for example 20000, but split 'train' has 64 examples."),
    (["--validation-split", "bogus"], None, "Unsupported MNIST split 'bogus'"),
    (["--validation-split", "test[3:3]"], None, "MNIST split 'test[3:3]' holds no examples"),
    ([], _truncate_test_images, "Could not read MNIST split 'test': "),
    (["--train-split", "test[:8]"], None,
     "--validation-split 'test' shares examples with --train-split 'test[:8]', so the held-out "
     "figures would be measured on training images; pass a --validation-split that does not "
     "overlap it (e.g. 'test[8:]'), or --validation-split none."),
    (["--train-split", "test[:-8]", "--validation-split", "test[8:]"], None,
     "--validation-split 'test[8:]' may share examples (it depends on the split's size) with "
     "--train-split 'test[:-8]'"),
], ids=["batch-too-large", "split-syntax", "split-past-the-end", "validation-split-syntax",
        "empty-validation-split", "truncated-idx-file", "overlapping-splits",
        "maybe-overlapping-splits"])
def test_bad_data_or_flags_end_with_one_error_line_and_write_nothing(
        flags, damage, message, tmp_path, mnist_idx_dir, capsys):
    if damage:
        damage(mnist_idx_dir)
    argv = ["--data-dir", str(mnist_idx_dir), "--out", str(tmp_path / "run"),
            "--export-dir", str(tmp_path / "exported"), "--epochs", "1", *flags]
    assert main("vae_mnist", argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {message}")
    assert not (tmp_path / "run").exists() and not (tmp_path / "exported").exists()


def test_a_diverging_run_stops_naming_the_epoch_and_step_and_exports_nothing(
        tmp_path, mnist_idx_dir, capsys):
    # Adam's first step moves every weight by about the learning rate: 1e30 overflows.
    argv = _small_run(mnist_idx_dir, tmp_path, "--epochs", "2", "--learning-rate", "1e30")
    assert main("vae_mnist", argv) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert re.fullmatch(r"error: Training diverged in epoch 1 at step 2 of 2: \w+ became "
                        r"(nan|inf); nothing of epoch 1 was saved\. Start a new run \(another "
                        r"--out\) with a lower --learning-rate\.", err), err
    assert not (tmp_path / "exported").exists()
    assert tf.train.latest_checkpoint(str(tmp_path / "run" / "checkpoints")) is None


def test_an_out_folder_that_is_not_a_run_is_left_alone(tmp_path, mnist_idx_dir, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert main("vae_mnist", ["--data-dir", str(mnist_idx_dir), "--out", str(out)]) == 2
    assert "is not a zoo run directory" in capsys.readouterr().err
    assert [path.name for path in out.iterdir()] == ["notes.txt"]


def test_a_mirrored_run_trains_checkpoints_logs_and_exports(tmp_path, mnist_idx_dir, mirrored,
                                                            monkeypatch, capsys):
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
    # The preview grids also go to TensorBoard's Images tab, one per epoch, as in the PNGs.
    images = {}
    for events in (out / "tensorboard" / "samples").iterdir():
        for event in tf.compat.v1.train.summary_iterator(str(events)):
            for value in event.summary.value:
                if value.tag == "samples":
                    images[event.step] = tf.io.decode_png(
                        tf.make_ndarray(value.tensor)[2]).numpy()
    assert sorted(images) == [1, 2]
    for step, image in images.items():
        png = tf.io.decode_png((out / "samples" / f"epoch_{step:04d}.png").read_bytes()).numpy()
        np.testing.assert_array_equal(image[..., :1], png[..., :1])
    assert {"samples.png", "reconstructions.png", "latent_traversals.png"} <= {
        path.name for path in (out / "plots").iterdir()}
    history = (out / "history.csv").read_text().splitlines()
    assert history[0].split(",")[0] == "epoch" and len(history) == 3
    metadata = zoo.load(version).metadata
    assert metadata["training"]["epochs"] == 2 and metadata["training"]["train_examples"] == 64
    assert metadata["training"]["command"].startswith("zoo train vae_mnist --epochs 2 ")
    assert "--strategy mirrored" in metadata["training"]["command"]
    assert json.loads((out / "run.json").read_text())["export"] == str(version)
    assert history[1].startswith("1,") and history[2].startswith("2,")  # epochs from 1
    # Resuming with a different batch would not continue the same run.
    with pytest.raises(RunError, match="started with --batch-size 8; resume with the same"):
        train(get_entry("vae_mnist"), parse_args(get_entry("vae_mnist"), _small_run(
            mnist_idx_dir, tmp_path, "--epochs", "3", "--batch-size", "4")))
    with pytest.raises(RunError, match="started with no --learning-rate; resume with the same"):
        train(get_entry("vae_mnist"), parse_args(get_entry("vae_mnist"), _small_run(
            mnist_idx_dir, tmp_path, "--epochs", "2", "--learning-rate", "0.1")))
    # A finished run exports nowhere else: a new --export-dir is named as unused.
    capsys.readouterr()
    assert train(get_entry("vae_mnist"), parse_args(get_entry("vae_mnist"), _small_run(
        mnist_idx_dir, tmp_path, "--epochs", "2", "--export-dir", str(tmp_path / "other")))
    ) == version
    assert f"--export-dir {tmp_path / 'other'} is not used" in capsys.readouterr().err
    assert not (tmp_path / "other").exists()


def _start(*args: str, entry: str = "vae_mnist") -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(RECIPES / f"{entry}.py"), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"})


def test_a_killed_run_resumes_from_its_checkpoint_and_a_finished_run_trains_on_if_asked(
        tmp_path, mnist_idx_dir, capsys, request):
    # vae_mnist: one network, a constant learning rate, so a finished run given a larger
    # --epochs trains on. Ten epochs: the kill comes at the first checkpoint, well before the
    # end. The uninterrupted run to compare with trains alongside, on the other core.
    epochs = 10
    args = _small_run(mnist_idx_dir, tmp_path, "--epochs", str(epochs))
    straight = _start(*args, "--out", str(tmp_path / "straight"), "--export-dir",
                      str(tmp_path / "straight-exported"))
    request.addfinalizer(straight.kill)  # a no-op once it has finished
    index = tmp_path / "run" / "checkpoints" / "checkpoint"
    process = _start(*args)
    deadline = time.monotonic() + 240
    while not index.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    saved = int(tf.train.latest_checkpoint(str(index.parent)).rsplit("-", 1)[1])
    assert 1 <= saved < epochs, "the first run should have been killed mid-training"
    assert not (tmp_path / "exported").exists()

    resumed = _recipe(*args)
    assert resumed.returncode == 0, resumed.stderr
    assert f"({saved} epoch{'s' if saved > 1 else ''} done)" in resumed.stderr
    trained = [int(number)
               for number in re.findall(rf"^Epoch (\d+)/{epochs}", resumed.stderr, re.M)]
    assert trained == list(range(saved + 1, epochs + 1))
    export = tmp_path / "exported" / "vae_mnist" / "1"
    assert (export / "saved_model.pb").is_file()
    assert resumed.stdout == f"{export}\n"  # the result alone; progress is on stderr

    # The interrupted run trained exactly what an uninterrupted one trains, bit for bit.
    straight_out, straight_err = straight.communicate(timeout=300)
    assert straight.returncode == 0, straight_err
    resumed_weights = _exported_weights(export)
    straight_weights = _exported_weights(tmp_path / "straight-exported" / "vae_mnist" / "1")
    assert resumed_weights.keys() == straight_weights.keys() and len(resumed_weights) > 10
    for name, values in resumed_weights.items():
        np.testing.assert_array_equal(values, straight_weights[name], err_msg=name)

    # What follows reads and writes the run folder alone: in this process, which has
    # TensorFlow loaded already.
    capsys.readouterr()
    assert main("vae_mnist", args) == 0
    again = capsys.readouterr()
    assert "nothing to do (a larger --epochs trains on" in again.err
    assert "Epoch" not in again.err and again.out == f"{export}\n"
    assert sorted(path.name for path in export.parent.iterdir()) == ["1"]

    assert main("vae_mnist", [*args, "--epochs", str(epochs + 1)]) == 0
    longer = capsys.readouterr()
    assert re.findall(r"^Epoch (\d+)/", longer.err, re.M) == [str(epochs + 1)]
    assert longer.out == f"{export.parent / '2'}\n"

    # A lengthened run stopped before its new export: the run folder still names the shorter
    # export. Asking for the shorter length again is refused, naming both lengths.
    record = tmp_path / "run" / "run.json"
    state = json.loads(record.read_text())
    record.write_text(json.dumps({**state, "export": str(export)}))
    assert main("vae_mnist", args) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"error: --out {tmp_path / 'run'} holds a run that has trained {epochs + 1} epochs (its "
        f"export {export} holds the model after {epochs} epochs), more than --epochs {epochs}; "
        f"pass --epochs {epochs + 1} or more to finish it, or train a new run (another --out).")
    # Its own length exports what it trained, without training again.
    assert main("vae_mnist", [*args, "--epochs", str(epochs + 1)]) == 0
    finished = capsys.readouterr()
    assert "Epoch" not in finished.err and finished.out == f"{export.parent / '3'}\n"


class _InterruptedAfterTheFirstEpoch(SampleGrid):
    """The run's last callback, which presses Ctrl-C once the first epoch is checkpointed."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        super().on_epoch_end(epoch, logs)
        if epoch == 0:
            raise KeyboardInterrupt


def _power_cut(*args, **kwargs) -> None:
    raise RuntimeError("power cut")


def _checkpoint_values(path: str) -> dict[str, np.ndarray]:
    """Every saved value of a checkpoint: weights, optimizer slots and steps, training state."""
    reader = tf.train.load_checkpoint(path)
    return {key: np.asarray(reader.get_tensor(key))
            for key in reader.get_variable_to_shape_map() if key != "_CHECKPOINTABLE_OBJECT_GRAPH"}


def test_an_interrupted_run_with_a_decaying_schedule_resumes_exactly_and_keeps_its_epochs(
        tmp_path, mnist_idx_dir, monkeypatch, capsys):
    # Two networks, two optimizers and a learning rate decaying over the second epoch; the
    # schedule is defined by --epochs, so a finished run is not lengthened. The smallest model,
    # in this process: the kill itself is the test above, and the conformance suite resumes
    # every family's own training state (CycleGAN's image pools) exactly.
    entry, epochs = "pix2pix_mnist_inpaint", 2
    args = _small_run(mnist_idx_dir, tmp_path, "--epochs", str(epochs), "--train-split",
                      "train", "--validation-split", "test", "--filters", "2")
    with monkeypatch.context() as patch:
        patch.setattr("zoo.runtime.train.SampleGrid", _InterruptedAfterTheFirstEpoch)
        assert main(entry, args) == 130
    assert "interrupted; the last checkpoint (1 epoch done) is kept" in capsys.readouterr().err
    assert main(entry, args) == 0
    resumed = capsys.readouterr()
    assert "(1 epoch done)" in resumed.err
    assert re.findall(r"^Epoch (\d+)/", resumed.err, re.M) == ["2"]
    export = tmp_path / "exported" / entry / "1"
    assert resumed.out == f"{export}\n"

    assert main(entry, args) == 0
    again = capsys.readouterr()
    assert "nothing to do (another --out trains again)" in again.err
    assert again.out == f"{export}\n"
    assert main(entry, [*args, "--epochs", str(epochs + 1)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"error: --out {tmp_path / 'run'} holds a run of {epochs} epochs, and {entry}'s "
        "learning rates decay linearly to zero over the second half of --epochs, so the run "
        f"cannot be lengthened or shortened; resume with --epochs {epochs}, or train a new "
        "run (another --out)."]
    assert sorted(path.name for path in export.parent.iterdir()) == ["1"]

    # The whole training state at the end equals the uninterrupted run's, bit for bit; that
    # run's export would add nothing, so it stops before it.
    with monkeypatch.context() as patch:
        patch.setattr("zoo.runtime.train.export_model", _power_cut)
        with pytest.raises(RuntimeError, match="power cut"):
            main(entry, [*args, "--out", str(tmp_path / "straight")])
    resumed_state, straight_state = (
        _checkpoint_values(str(tmp_path / run / "checkpoints" / f"ckpt-{epochs}"))
        for run in ("run", "straight"))
    assert resumed_state.keys() == straight_state.keys()
    assert sum("optimizer" in key for key in straight_state) >= 2 and len(straight_state) > 50
    for key, values in straight_state.items():
        if not key.startswith("seconds/"):  # the wall time, below
            np.testing.assert_array_equal(resumed_state[key], values, err_msg=key)

    # The wall time of both sessions' epochs, in the checkpoint and in the export.
    training = zoo.load(export).metadata["training"]
    seconds = float(resumed_state["seconds/.ATTRIBUTES/VARIABLE_VALUE"])
    assert training["timed_epochs"] == resumed_state["timed_epochs/.ATTRIBUTES/VARIABLE_VALUE"] == 2
    assert training["wall_seconds"] == pytest.approx(seconds, abs=0.05) and seconds > 0
    assert training["images_per_second"] == pytest.approx(
        2 * training["steps_per_epoch"] * training["batch_size"] / seconds, abs=0.006)  # 2 dp


def _exported_weights(version: Path) -> dict[str, np.ndarray]:
    variables = tf.saved_model.load(str(version)).variables
    weights = {variable.name: variable.numpy() for variable in variables}
    assert len(weights) == len(variables)
    return weights


def test_a_paired_folder_without_the_default_validation_split_suggests_another(tmp_path,
                                                                               capsys):
    folder = write_paired_folder(tmp_path / "facades", splits=("train", "test"))
    assert main("pix2pix_facades", ["--data-dir", str(folder), "--out", str(tmp_path / "run"),
                                    "--image-size", "32", "--filters", "4"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: Could not load the held-out split 'val' (--validation-split) from "
                   f"{folder}: There is no folder {folder / 'val'}. Hold out a split the folder "
                   "has (e.g. --validation-split test), or train without one "
                   "(--validation-split none)."]
    assert not (tmp_path / "run").exists()


def test_a_model_flag_the_model_refuses_is_one_error_line_and_writes_nothing(tmp_path, capsys):
    folder = write_paired_folder(tmp_path / "facades")
    assert main("pix2pix_facades", [
        "--data-dir", str(folder), "--validation-split", "test", "--image-size", "48",
        "--out", str(tmp_path / "run"), "--export-dir", str(tmp_path / "exported")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: image_size must be a power of two")
    assert not (tmp_path / "run").exists() and not (tmp_path / "exported").exists()


def test_pix2pix_facades_offline_without_data_dir_is_one_sentence(tmp_path, monkeypatch,
                                                                   capsys):
    go_offline(monkeypatch, tmp_path)
    assert main("pix2pix_facades", ["--out", str(tmp_path / "run"), "--export-dir",
                                    str(tmp_path / "exported")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: Could not download the facades data set")
    assert "--data-dir" in last and "train/, val/ and test/" in last
    # Keras itself may write its keras.json under KERAS_HOME; no data set folder is started.
    written = (tmp_path / "run", tmp_path / "exported", tmp_path / "keras" / "datasets")
    assert not any(path.exists() for path in written)


def test_a_run_resumes_only_on_the_data_it_started_with(mnist_idx_dir, tmp_path):
    import shutil

    from helpers import write_idx

    entry = get_entry("vae_mnist")
    train(entry, parse_args(entry, _small_run(mnist_idx_dir, tmp_path, "--epochs", "1")))
    recorded = json.loads((tmp_path / "run" / "run.json").read_text())["data"]
    assert recorded["training"]["examples"] == 64 and recorded["held-out"]["examples"] == 16
    # The same files in another folder are the same data.
    moved = Path(shutil.copytree(mnist_idx_dir, tmp_path / "moved"))
    # One training image changed: refused before anything is written.
    changed = Path(shutil.copytree(mnist_idx_dir, tmp_path / "changed"))
    images = np.frombuffer(gzip.decompress((changed / "train-images-idx3-ubyte.gz").read_bytes()),
                           np.uint8, offset=16).reshape(64, 28, 28).copy()
    images[0] = 255 - images[0]
    write_idx(changed / "train-images-idx3-ubyte.gz", images)
    run_json = (tmp_path / "run" / "run.json").read_text()
    with pytest.raises(RunError, match=r"holds a run started on other data \(the training "
                                       r"examples were 64 and are 64 \(others\)\); resume it on"):
        train(entry, parse_args(entry, _small_run(changed, tmp_path, "--epochs", "2")))
    assert (tmp_path / "run" / "run.json").read_text() == run_json
    assert tf.train.latest_checkpoint(str(tmp_path / "run" / "checkpoints")).endswith("ckpt-1")
    version = train(entry, parse_args(entry, _small_run(moved, tmp_path, "--epochs", "2")))
    assert zoo.load(version).metadata["training"]["epochs"] == 2
