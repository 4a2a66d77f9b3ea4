"""A recipe on two real worker processes of this machine (MultiWorkerMirroredStrategy over
loopback, one CPU each), as a user runs it on two machines: the update equals one process's,
only the chief writes files, and a run whose worker was killed resumes on every worker."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from helpers import write_mnist_idx

RECIPE = Path(__file__).with_name("multiworker_recipe.py")
EPOCHS = 2
# Four steps per epoch: a worker killed when the chief's first checkpoint appears is still
# inside the second epoch, which cannot finish without it.
FLAGS = ("--batch-size", "8", "--steps-per-epoch", "4", "--epochs", str(EPOCHS),
         "--precision", "float32")
# Seconds after which a run counts as hung: generous, since three TensorFlow processes start
# at once on two cores and a busy machine can take minutes over that.
TIMEOUT = 300
# Two workers sum each gradient in another order than one process does, so the two runs differ
# by float32 round-off, which Adam amplifies where a gradient nearly cancels (it divides each
# gradient by its running RMS): a few of the 401,408 decoder weights differ by a fifth of
# their update, so no elementwise tolerance is safe. Norm-wise per variable, relative to how
# far the last epoch moved it, the largest difference seen is 5.8e-6 (49 float32 eps). With a
# replica bug injected into the VAE's loss, every Adam moment was off by 0.6 or more on that
# scale (each replica's own mean, which doubles the gradient: 0.99 to 13; replica 1's share
# left out: 0.60 to 3.3). The tolerance leaves a margin of over 100 on either side.
RELATIVE_TOLERANCE = 1e-3


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def _start(flags: list[str], log: Path, tmpdir: Path, tf_config: dict | None = None
           ) -> subprocess.Popen:
    """One recipe process, its output in `log`, its temporary files under `tmpdir`."""
    tmpdir.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if key != "TF_CONFIG"}
    env |= {"CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "3", "TMPDIR": str(tmpdir)}
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
    with open(log, "w") as output:
        return subprocess.Popen([sys.executable, str(RECIPE), "vae_mnist", *flags],
                                stdout=output, stderr=subprocess.STDOUT, env=env)


def _start_cluster(flags: list[list[str]], root: Path, name: str) -> list[subprocess.Popen]:
    """Worker i runs `flags[i]`; worker 0 is the chief. Logs: <root>/<name>-<i>.log, temporary
    files: <root>/<name>-tmp-<i>/."""
    addresses = [f"127.0.0.1:{port}" for port in _free_ports(len(flags))]
    return [_start(worker_flags, root / f"{name}-{index}.log", root / f"{name}-tmp-{index}",
                   {"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}})
            for index, worker_flags in enumerate(flags)]


def _finish(processes: list[subprocess.Popen], logs: list[Path], status: int = 0) -> list[str]:
    """Waits for every process (a hang fails the test instead of blocking the suite) and
    checks that each exited with `status`; returns their outputs."""
    deadline = time.monotonic() + TIMEOUT
    try:
        for process in processes:
            process.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        for process in processes:
            process.kill()
            process.wait()
        pytest.fail("a worker hung:\n" + "\n".join(log.read_text()[-2000:] for log in logs))
    outputs = [log.read_text() for log in logs]
    for process, output in zip(processes, outputs):
        assert process.returncode == status, output[-3000:]
    return outputs


def _run_flags(data: Path, out: Path, exported: Path, strategy: str = "multi-worker"
               ) -> list[str]:
    return ["--data-dir", str(data), "--out", str(out), "--export-dir", str(exported),
            "--strategy", strategy, *FLAGS]


def _state(checkpoint: Path) -> dict[str, np.ndarray]:
    """Every saved value of a checkpoint (weights, optimizer slots and steps, epoch) but the
    epochs' wall time, which differs from run to run."""
    reader = tf.train.load_checkpoint(str(checkpoint))
    return {key: np.asarray(reader.get_tensor(key))
            for key in reader.get_variable_to_shape_map()
            if key != "_CHECKPOINTABLE_OBJECT_GRAPH" and not key.startswith("seconds/")}


def _exported_weights(version: Path) -> dict[str, np.ndarray]:
    return {variable.name: variable.numpy()
            for variable in tf.saved_model.load(str(version)).variables}


def _deviations(state: dict[str, np.ndarray], reference: dict[str, np.ndarray],
                reference_before: dict[str, np.ndarray]) -> dict[str, float]:
    """For each value of `reference`: how far `state` is from it, relative to how far the
    reference moved from `reference_before` (norm-wise per variable). Integers (steps, epoch,
    seeds) and values that did not move must be equal: 0 if they are, infinity if not."""
    deviations = {}
    for key, values in reference.items():
        distance = np.linalg.norm((state[key] - values).astype(np.float64))
        moved = np.linalg.norm((values - reference_before[key]).astype(np.float64))
        exact = not np.issubdtype(values.dtype, np.floating) or moved == 0
        deviations[key] = (0.0 if distance == 0 else np.inf) if exact else distance / moved
    return deviations


def _assert_holds(export: dict[str, np.ndarray], state: dict[str, np.ndarray]) -> None:
    """Every variable of `export` is, bit for bit, one of the checkpoint's model variables."""
    model = [values for key, values in state.items() if key.startswith("model/")]
    assert len(export) == len(model)
    for name, values in export.items():
        assert any(candidate.shape == values.shape and np.array_equal(candidate, values)
                   for candidate in model), name


@pytest.fixture(scope="module")
def mnist(tmp_path_factory) -> Path:
    return write_mnist_idx(tmp_path_factory.mktemp("mnist"))


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory, mnist) -> Path:
    """An uninterrupted two-worker run; the worker is given an --out of its own, to show
    that it writes nothing there. The same run in one process trains alongside, into
    <root>/single/ (log: <root>/single.log)."""
    root = tmp_path_factory.mktemp("two-workers")
    single = _start(_run_flags(mnist, root / "single" / "run", root / "single" / "exported",
                               "default"), root / "single.log", root / "single-tmp")
    processes = _start_cluster(
        [_run_flags(mnist, root / "chief" / "run", root / "chief" / "exported"),
         _run_flags(mnist, root / "worker" / "run", root / "worker" / "exported")],
        root, "run")
    _finish([*processes, single], [root / "run-0.log", root / "run-1.log", root / "single.log"])
    return root


def test_two_workers_apply_the_single_process_updates(two_workers):
    assert ", on one device," in (two_workers / "single.log").read_text()
    assert "on 2 replicas on 2 workers (MultiWorkerMirroredStrategy)" in (
        two_workers / "run-0.log").read_text()

    # The whole training state after 8 steps: weights, Adam's moments and step, the epoch.
    checkpoints = (two_workers / "chief" / "run" / "checkpoints",
                   two_workers / "single" / "run" / "checkpoints")
    split, one = (_state(folder / f"ckpt-{EPOCHS}") for folder in checkpoints)
    one_before = _state(checkpoints[1] / f"ckpt-{EPOCHS - 1}")
    assert split.keys() == one.keys() and len(one) > 50
    deviations = _deviations(split, one, one_before)
    worst = sorted(deviations.items(), key=lambda item: item[1])[-3:]
    assert worst[-1][1] <= RELATIVE_TOLERANCE, worst
    # The relative check says something only if the last epoch moved every weight.
    assert all(np.any(values != one_before[key]) for key, values in one.items()
               if key.startswith("model/") and values.dtype == np.float32)

    # Each export is its run's last checkpoint, so the two exports agree as the states do.
    _assert_holds(_exported_weights(two_workers / "chief" / "exported" / "vae_mnist" / "1"), split)
    _assert_holds(_exported_weights(two_workers / "single" / "exported" / "vae_mnist" / "1"),
                  one)


def test_only_the_chief_writes_files(two_workers):
    chief = two_workers / "chief"
    run = chief / "run"
    assert json.loads((run / "run.json").read_text())["export"] == str(
        chief / "exported" / "vae_mnist" / "1")
    assert sorted(path.name for path in (run / "checkpoints").iterdir()
                  if path.name.startswith("ckpt-") and path.suffix == ".index") == [
        "ckpt-1.index", "ckpt-2.index"]
    assert {"train", "validation", "samples"} <= {
        path.name for path in (run / "tensorboard").iterdir()}
    assert sorted(path.name for path in (run / "samples").iterdir()) == [
        "epoch_0001.png", "epoch_0002.png"]
    assert len((run / "history.csv").read_text().splitlines()) == EPOCHS + 1
    assert (run / "plots" / "history.png").is_file()
    assert (chief / "exported" / "vae_mnist" / "1" / "saved_model.pb").is_file()
    # The worker trained (the same epochs, the same logs) but left nothing behind: no run
    # folder, no export, no scratch checkpoints in its temporary folder.
    worker_log = (two_workers / "run-1.log").read_text()
    assert re.findall(r"^Epoch \d+/\d+", worker_log, re.M) == ["Epoch 1/2", "Epoch 2/2"]
    assert not (two_workers / "worker").exists()
    assert list((two_workers / "run-tmp-1").iterdir()) == []


def test_a_run_whose_worker_was_killed_resumes_on_every_worker(two_workers, mnist, tmp_path):
    flags = _run_flags(mnist, tmp_path / "run", tmp_path / "exported")
    index = tmp_path / "run" / "checkpoints" / "checkpoint"
    chief, worker = _start_cluster([flags, flags], tmp_path, "killed")
    deadline = time.monotonic() + TIMEOUT
    while not index.exists() and chief.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    worker.kill()
    worker.wait()
    # Without its peer the chief cannot go on: it stops at its next collective op, saying
    # how to resume in one line.
    try:
        chief.wait(timeout=30)
    except subprocess.TimeoutExpired:
        chief.kill()
        chief.wait()
        pytest.fail("the chief hung after its worker was killed")
    error = (tmp_path / "killed-0.log").read_text().strip().splitlines()[-1]
    assert chief.returncode == 2 and error.startswith("error: Lost contact with another worker"), (
        error)
    assert "restart every worker with the same command" in error
    assert tf.train.latest_checkpoint(str(index.parent)).endswith("ckpt-1"), (
        (tmp_path / "killed-0.log").read_text()[-3000:])
    assert not (tmp_path / "exported").exists()

    # A worker that cannot see the chief's checkpoints (another --out) would resume from
    # fresh weights: every worker refuses instead, before any step.
    elsewhere = _run_flags(mnist, tmp_path / "elsewhere", tmp_path / "exported")
    outputs = _finish(_start_cluster([flags, elsewhere], tmp_path, "misconfigured"),
                      [tmp_path / "misconfigured-0.log", tmp_path / "misconfigured-1.log"], 2)
    for output in outputs:
        assert output.strip().splitlines()[-1].startswith(
            "error: The workers restored different checkpoints"), output[-2000:]
    assert tf.train.latest_checkpoint(str(index.parent)).endswith("ckpt-1")
    assert not (tmp_path / "elsewhere").exists()

    logs = [tmp_path / "resumed-0.log", tmp_path / "resumed-1.log"]
    outputs = _finish(_start_cluster([flags, flags], tmp_path, "resumed"), logs)
    for output in outputs:
        # Both workers restored the chief's checkpoint and trained only the second epoch.
        assert "checkpoints/ckpt-1 (1 epoch done)" in output
        assert re.findall(r"^Epoch \d+/\d+", output, re.M) == ["Epoch 2/2"]
    # Had the worker started from fresh weights, the gradients it contributes would differ
    # and so would the result: the run ends where the uninterrupted one did.
    resumed = _exported_weights(tmp_path / "exported" / "vae_mnist" / "1")
    straight = _exported_weights(two_workers / "chief" / "exported" / "vae_mnist" / "1")
    assert resumed.keys() == straight.keys()
    for name, values in straight.items():
        np.testing.assert_allclose(resumed[name], values, rtol=1e-6, atol=1e-7, err_msg=name)
    assert not list((tmp_path / "resumed-tmp-1").glob("zoo-worker-checkpoints-*"))
