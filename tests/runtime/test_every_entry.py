"""Every entry of the registry through its recipe with a validation split: what the run
prints, where, and what its TensorBoard logs say."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.optimizers import learning_rate
from zoo.outliers import SCORE_SIGNATURE
from zoo.registry import ENTRIES
from zoo.runtime.callbacks import learning_rate_tag
from zoo.runtime.train import main
from helpers import write_paired_folder

EPOCHS, STEPS = 2, 2
# How to make test data for each data set: MNIST IDX files or a paired folder of images (with
# a train and a test split) for its `--data-dir`, or tensorflow-datasets' mock data in place of
# the default download (`tfds`; reading an unpaired folder is tests/data's and the restyling
# entry's). A new data set adds its kind here.
DATA_KINDS = {"mnist": "mnist", "mnist_inpaint": "mnist", "mnist_restyle": "mnist",
              "facades": "paired", "horse2zebra": "tfds", "flowers": "tfds"}
# The training and held-out splits of each data set's test run: `train` and `test`, or two
# that do not overlap where the data set's splits are others (flowers' one pool, `all`: its
# entry's own, the first 80% and the last 20%).
SPLITS = {"flowers": ("all[:80%]", "all[80%:]")}
# The smallest value of each model flag an entry may take, for a cheap run.
SMALLEST = {"image_size": "32", "filters": "4", "residual_blocks": "1", "block_depth": "1"}


def _setup(name: str) -> tuple[str, str, tuple[str, ...]]:
    """The entry's kind of test data, its held-out split and the flags of its smallest model.
    The training split is named explicitly, so it never overlaps the held-out split."""
    entry = ENTRIES[name]
    assert entry.data.dataset in DATA_KINDS, \
        f"add how to make test data for the {entry.data.dataset!r} data set to DATA_KINDS"
    train, validation = SPLITS.get(entry.data.dataset, ("train", "test"))
    flags = [("--train-split", train)] + [
        (f"--{key.replace('_', '-')}", SMALLEST[key]) for key in entry.flags if key in SMALLEST]
    return (DATA_KINDS[entry.data.dataset], validation,
            tuple(part for flag in flags for part in flag))


def _scalars(folder: Path) -> dict[str, dict[int, float]]:
    """Every scalar of the event files in `folder`: {tag: {step: value}}."""
    scalars: dict[str, dict[int, float]] = {}
    for events in folder.iterdir():
        for event in tf.compat.v1.train.summary_iterator(str(events)):
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name == "scalars":
                    scalars.setdefault(value.tag, {})[event.step] = float(
                        tf.make_ndarray(value.tensor))
    return scalars


def _expected_learning_rates(name: str) -> dict[str, list[float]]:
    """The learning rate of each network's last update in each epoch, from the entry's
    schedule over this run (for linear decay: the initial rate, then half of it)."""
    entry = ENTRIES[name]
    rates = {}
    for optimizer, spec in entry.optimizers.items():
        rate = learning_rate(entry, spec.learning_rate, STEPS, EPOCHS)
        rates[learning_rate_tag(optimizer)] = [
            float(rate(epoch * STEPS - 1)) if callable(rate) else rate
            for epoch in range(1, EPOCHS + 1)]
    return rates


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_a_run_with_a_validation_split_reports_held_out_figures_and_logs_one_step_convention(
        name, tmp_path, mnist_idx_dir, capsys, monkeypatch):
    source, validation_split, flags = _setup(name)
    data = contextlib.ExitStack()
    if source == "tfds":
        import tensorflow_datasets as tfds

        monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
        monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
        data.enter_context(tfds.testing.mock_data(num_examples=4))
    else:
        folder = {"mnist": lambda: mnist_idx_dir,
                  "paired": lambda: write_paired_folder(tmp_path / "facades")}[source]()
        flags = ("--data-dir", str(folder), *flags)
    out = tmp_path / "run"
    with data:
        status = main(name, ["--validation-split", validation_split, "--epochs", str(EPOCHS),
                             "--steps-per-epoch", str(STEPS), "--batch-size", "2",
                             "--out", str(out), "--export-dir", str(tmp_path / "exported"),
                             *flags])
    printed = capsys.readouterr()
    assert status == 0, printed.err
    # stdout holds the run's result alone; the progress, Keras' included, is on stderr.
    assert printed.out == f"{tmp_path / 'exported' / name / '1'}\n"
    assert f"[zoo] training {name} on " in printed.err
    assert f"[zoo] exported to {tmp_path / 'exported' / name / '1'}" in printed.err
    assert "val_" in printed.err  # Keras' epoch line

    history = (out / "history.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in history[1:]] == [str(epoch) for epoch in (1, 2)]
    header = history[0].split(",")
    metrics = [column for column in header if column != "epoch" and not column.startswith("val_")]
    assert metrics and {f"val_{metric}" for metric in metrics} <= set(header)

    epochs = list(range(1, EPOCHS + 1))
    train = _scalars(out / "tensorboard" / "train")
    validation = _scalars(out / "tensorboard" / "validation")
    for metric in metrics:
        assert sorted(train[f"epoch_{metric}"]) == epochs, metric
        assert sorted(validation[f"epoch_{metric}"]) == epochs, metric
        assert sorted(validation[f"evaluation_{metric}_vs_iterations"]) == [
            epoch * STEPS for epoch in epochs], metric
        assert list(validation[f"evaluation_{metric}_vs_iterations"].values()) == list(
            validation[f"epoch_{metric}"].values())
    for tag, rates in _expected_learning_rates(name).items():
        logged = train[f"epoch_{tag}"]
        np.testing.assert_allclose([logged[epoch] for epoch in epochs], rates, rtol=1e-6,
                                   err_msg=tag)
    assert not {tag for tag in train if tag.startswith("epoch_learning_rate")} - {
        f"epoch_{tag}" for tag in _expected_learning_rates(name)}
    sample_steps = set()
    for events in (out / "tensorboard" / "samples").iterdir():
        for event in tf.compat.v1.train.summary_iterator(str(events)):
            sample_steps.update(event.step for value in event.summary.value
                                if value.tag == "samples")
    assert sorted(sample_steps) == epochs
    assert sorted(path.name for path in (out / "samples").iterdir()) == [
        f"epoch_{epoch:04d}.png" for epoch in epochs]
    assert "history.png" in {path.name for path in (out / "plots").iterdir()}
    exported = zoo.load(tmp_path / "exported" / name / "1")
    assert exported.metadata["entry"] == name
    # A model that scores records its scores' held-out distribution: the validation split's.
    quantiles = exported.score_quantiles
    if SCORE_SIGNATURE in exported.signatures:
        assert (quantiles["split"], quantiles["examples"]) == (validation_split, 16)
        assert list(quantiles["outputs"]) == list(exported.signatures[SCORE_SIGNATURE]
                                                  .output_names)
    else:
        assert quantiles is None

    # A model flag is part of what the run computes: resuming with another value is refused.
    for key in ENTRIES[name].flags[:1]:
        flag = f"--{key.replace('_', '-')}"
        value = int(flags[flags.index(flag) + 1]) if flag in flags else \
            ENTRIES[name].model_config[key]
        changed = [*flags, flag, str(2 * value)]
        assert main(name, ["--validation-split", validation_split, "--epochs", str(EPOCHS),
                           "--steps-per-epoch", str(STEPS), "--batch-size", "2",
                           "--out", str(out), *changed]) == 2
        assert f"holds a run started with {flag} " in capsys.readouterr().err
