"""`--normal-class C`: one-class training on a labelled data set, through the recipe's runtime."""

from __future__ import annotations

import json

import numpy as np
import pytest

import zoo
from zoo.data import load_mnist
from zoo.data.sources import DATASETS, LABELLED
from zoo.registry import ENTRIES, get_entry
from zoo.runtime import train as runtime
from zoo.runtime.cli import build_parser, parse_args
from zoo.runtime.train import main


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def test_only_entries_whose_data_has_labels_offer_the_flag(capsys):
    assert LABELLED <= set(DATASETS)
    for name, entry in ENTRIES.items():
        offered = "--normal-class C" in build_parser(entry).format_help()
        assert offered == (entry.data.dataset in LABELLED), name
    assert parse_args(get_entry("vae_mnist"), ["--normal-class", "3"]).normal_class == 3
    assert parse_args(get_entry("vae_mnist"), []).normal_class is None
    with pytest.raises(SystemExit):
        parse_args(get_entry("pix2pix_facades"), ["--normal-class", "3"])
    assert "--normal-class does not apply to pix2pix_facades: its data set 'facades' has no " \
        "class labels" in _one_error_line(capsys)
    with pytest.raises(SystemExit):
        parse_args(get_entry("vae_mnist"), ["--normal-class", "-1"])
    assert "--normal-class must be non-negative; got -1" in _one_error_line(capsys)


def _argv(data, tmp_path, *extra: str) -> list[str]:
    return ["--data-dir", str(data), "--out", str(tmp_path / "run"), "--export-dir",
            str(tmp_path / "exported"), "--train-split", "train", "--epochs", "1",
            "--steps-per-epoch", "1", "--batch-size", "2", *extra]


def test_a_one_class_run_trains_and_holds_out_that_class_and_records_it(
        tmp_path, mnist_idx_dir, monkeypatch, capsys):
    _, labels = load_mnist("train", mnist_idx_dir)
    _, test_labels = load_mnist("test", mnist_idx_dir)
    loaded = []
    load_data = runtime._load_data
    monkeypatch.setattr(runtime, "_load_data", lambda *args: loaded.append(load_data(*args))
                        or loaded[-1])
    assert main("vae_mnist", _argv(mnist_idx_dir, tmp_path, "--normal-class", "2")) == 0
    err = capsys.readouterr().err
    count = int(np.sum(labels == 2))
    assert (f"training vae_mnist on the {count} examples labelled 2 of 64 MNIST images (train)"
            in err)
    examples, validation = loaded[0]
    assert len(examples) == count and set(examples.features["label"]) == {2}
    assert len(validation) == np.sum(test_labels == 2) and set(validation.features["label"]) == {2}
    training = zoo.load(tmp_path / "exported" / "vae_mnist" / "1").metadata["training"]
    assert training["normal_class"] == 2 and training["train_examples"] == count
    assert " --normal-class 2 " in training["command"]
    assert json.loads((tmp_path / "run" / "run.json").read_text())["flags"]["normal_class"] == 2

    # The class defines the run: resuming with another one, or none, is refused.
    for changed in (["--normal-class", "3"], []):
        assert main("vae_mnist", _argv(mnist_idx_dir, tmp_path, "--epochs", "2", *changed)) == 2
        assert "holds a run started with --normal-class 2; resume with the same values" in \
            _one_error_line(capsys)


def test_a_class_without_examples_is_one_error_line_and_writes_nothing(tmp_path, mnist_idx_dir,
                                                                       capsys):
    # The generated digits are labelled 0 to 3.
    assert main("vae_mnist", _argv(mnist_idx_dir, tmp_path, "--normal-class", "7")) == 2
    assert _one_error_line(capsys) == (
        "error: --normal-class 7 leaves none of the 64 examples of --train-split 'train': their "
        "labels are 0, 1, 2, 3; choose one of those labels or another --train-split.")
    # A class the training split has but the held-out split has not.
    _, test_labels = load_mnist("test[:1]", mnist_idx_dir)
    other = (int(test_labels[0]) + 1) % 4
    assert main("vae_mnist", _argv(mnist_idx_dir, tmp_path, "--normal-class", str(other),
                                   "--validation-split", "test[:1]")) == 2
    assert _one_error_line(capsys) == (
        f"error: --normal-class {other} leaves none of the 1 examples of --validation-split "
        f"'test[:1]': their labels are {test_labels[0]}; choose a --validation-split that has "
        "some, or --validation-split none.")
    assert not (tmp_path / "run").exists() and not (tmp_path / "exported").exists()


def test_an_export_whose_quantiles_rest_on_few_held_out_examples_is_warned_of(
        tmp_path, mnist_idx_dir, capsys):
    """A held-out split of one example (a one-class run on a small split gets few): the run
    warns, as `zoo score` does, that its percentiles rest on it."""
    assert main("vae_mnist", _argv(mnist_idx_dir, tmp_path, "--validation-split",
                                   "test[:1]")) == 0
    export = tmp_path / "exported" / "vae_mnist" / "1"
    assert zoo.load(export).score_quantiles["examples"] == 1
    warnings = [line for line in capsys.readouterr().err.splitlines()
                if line.startswith("[zoo] warning: ")]
    assert len(warnings) == 1, warnings
    assert (f"{export}'s percentiles rest on 1 held-out example; with fewer than 100 the 99th "
            "percentile is close to their largest score (--validation-split test[:1])"
            in warnings[0])
