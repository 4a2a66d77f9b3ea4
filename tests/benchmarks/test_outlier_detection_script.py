"""The outlier benchmark end to end on tiny generated MNIST: one-class runs through the recipes'
runtime, out-of-distribution sets, code sizes; its tables, JSON and records; bad flags."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest

import zoo
from zoo.data import load_mnist
from zoo.evaluation.outliers import (IW_NLL, auroc, out_of_distribution_sets, score_outputs,
                                     unit_images)
from zoo.export_format import METADATA_FILE
from zoo.paths import EXPORTED_ENV
from helpers import benchmark_script, write_mnist_idx

TRAINING = ["--train-split", "train", "--test-split", "test", "--epochs", "1",
            "--steps-per-epoch", "1", "--batch-size", "4"]
TINY = [*TRAINING, "--k", "3"]


def _script():
    return benchmark_script("outlier_detection")


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = _script().main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def one_class_run(tmp_path_factory):
    """The VAE trained on digit 1 of tiny generated MNIST (labels 0-3): several score outputs
    and an importance-weighted NLL (the autoencoder trains through the same code in the codes
    test)."""
    root = tmp_path_factory.mktemp("outliers")
    data = write_mnist_idx(root / "mnist")
    argv = ["one-class", "--entries", "vae_mnist", "--data-dir", str(data), "--classes", "1",
            "--seeds", "1",
            "--work-dir", str(root / "work"), "--json", str(root / "figures.json"), *TINY]
    code, out, err = _run(argv)
    return {"code": code, "out": out, "err": err, "root": root, "data": data, "argv": argv}


def test_one_class_trains_on_the_digit_and_reports_every_score(one_class_run):
    assert one_class_run["code"] == 0, one_class_run["err"]
    root, data = one_class_run["root"], one_class_run["data"]
    figures = json.loads((root / "figures.json").read_text())
    images, labels = load_mnist("test", data)
    _, train_labels = load_mnist("train", data)
    assert figures["train_examples"] == {"1": int(np.sum(train_labels == 1))}
    exported = zoo.load(root / "work" / "one_class" / "vae_mnist-class1-seed0" / "exported"
                        / "vae_mnist" / "1")
    training = exported.metadata["training"]
    assert training["normal_class"] == 1 and training["train_split"] == "train"
    # Every output of the score signature, by name, and the AUROC as defined; then the
    # importance-weighted NLL.
    outputs = score_outputs(exported, unit_images(images))
    names = list(exported.signatures["score"].output_names)
    assert list(outputs) == names and len(names) > 1
    assert list(figures["per_class"]) == [f"vae_mnist {name}" for name in names] + [
        f"vae_mnist {IW_NLL} (k=3)"]
    for score, values in outputs.items():
        column = figures["per_class"][f"vae_mnist {score}"]["1"]
        assert column["seeds"] == [pytest.approx(auroc(values[labels == 1],
                                                       values[labels != 1]))]
    out = one_class_run["out"]
    assert f"| digit | vae_mnist {names[0]} |" in out
    assert "| 1 |" in out and "| mean |" in out and "99.7 |" in out  # Deep SVDD's digit 1
    assert "~6,000 images of each digit" in out and "OCGAN (Perera et al. 2019) 97.5" in out
    assert "[zoo] 1/1 digit 1 seed 0 vae_mnist: " in one_class_run["err"]


def test_a_second_one_class_invocation_reuses_the_runs_and_records_them(one_class_run,
                                                                        monkeypatch):
    script = _script()
    monkeypatch.setattr(script, "train_model", lambda *args: pytest.fail("trained again"))
    # --record writes into the entry's export in the exported folder: here, the run's.
    exported = one_class_run["root"] / "work" / "one_class" / "vae_mnist-class1-seed0" / "exported"
    monkeypatch.setenv(EXPORTED_ENV, str(exported))
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert script.main(one_class_run["argv"] + ["--record"]) == 0
    assert out.getvalue() == one_class_run["out"]
    figures = json.loads((one_class_run["root"] / "figures.json").read_text())
    recorded = json.loads((exported / "vae_mnist" / "1" / METADATA_FILE).read_text())[
        "evaluation"]["one_class_mnist"]
    assert recorded["digits"] == [1] and recorded["seeds"] == 1 and recorded["k"] == 3
    assert recorded["deep_svdd_percent"] == 99.7
    for column, by_digit in figures["per_class"].items():
        score = column.split(" ", 1)[1]
        assert recorded["auroc_percent"][score]["per_digit"] == [
            round(100 * by_digit["1"]["mean"], 1)]


def test_ood_scores_digits_against_each_set_and_records_it(one_class_run, tmp_path):
    root, data = one_class_run["root"], one_class_run["data"]
    vae = root / "work" / "one_class" / "vae_mnist-class1-seed0" / "exported" / "vae_mnist" / "1"
    picture = tmp_path / "sets.png"
    code, out, err = _run(["ood", "--data-dir", str(data), "--split", "test", "--models",
                           str(vae), "--count", "4", "--k", "0", "--json",
                           str(tmp_path / "ood.json"), "--picture", str(picture), "--record"])
    assert code == 0, err
    figures = json.loads((tmp_path / "ood.json").read_text())
    digits = unit_images(load_mnist("test", data)[0])
    sets = out_of_distribution_sets(digits, 4, 0)
    exported = zoo.load(vae)
    normal = score_outputs(exported, digits)
    assert set(figures["aurocs"]) == {f"vae_mnist {score}" for score in normal}
    for score, values in normal.items():
        for name in ("black", "digits mirrored"):
            anomalous = score_outputs(exported, sets[name])[score]
            assert figures["aurocs"][f"vae_mnist {score}"][name] == pytest.approx(
                auroc(values, anomalous))
    assert "| black |" in out and "| mean (simple) |" in out and "| mean (complex) |" in out
    assert picture.stat().st_size > 0
    recorded = json.loads((vae / METADATA_FILE).read_text())["evaluation"]["out_of_distribution"]
    assert recorded["sets"] == list(sets) + ["mean (simple)", "mean (complex)"]
    assert recorded["auroc_percent"] == {
        score: [round(100 * value, 1) for value in figures["aurocs"][f"vae_mnist {score}"].values()]
        for score in normal}
    assert recorded["command"].startswith("python benchmarks/outlier_detection.py ood ")


def test_two_exports_of_one_entry_get_a_column_each_and_cannot_be_recorded(one_class_run,
                                                                            tmp_path):
    import shutil

    root, data = one_class_run["root"], one_class_run["data"]
    vae = root / "work" / "one_class" / "vae_mnist-class1-seed0" / "exported" / "vae_mnist" / "1"
    other = tmp_path / "other" / "vae_mnist" / "1"
    shutil.copytree(vae, other)
    argv = ["ood", "--data-dir", str(data), "--split", "test", "--models", str(vae), str(other),
            "--count", "4", "--k", "0", "--json", str(tmp_path / "ood.json")]
    code, out, err = _run(argv)
    assert code == 0, err
    columns = list(json.loads((tmp_path / "ood.json").read_text())["aurocs"])
    score = zoo.load(vae).signatures["score"].output_names[0]
    assert f"{vae} {score}" in columns and f"{other} {score}" in columns
    assert len(columns) == 2 * len(zoo.load(vae).signatures["score"].output_names)
    code, out, err = _run([*argv, "--record"])
    assert code == 2 and err.strip().splitlines()[-1] == (
        "error: --record writes into each entry's export, but --models names several exports "
        "of vae_mnist; record one at a time.")


def test_codes_trains_each_size_and_measures_reconstruction_and_the_linear_probe(tmp_path):
    data = write_mnist_idx(tmp_path / "mnist")
    code, out, err = _run(["codes", "--data-dir", str(data), "--entries", "ae_mnist",
                           "--code-sizes", "3", "--work-dir", str(tmp_path / "work"),
                           "--json", str(tmp_path / "codes.json"), *TRAINING])
    assert code == 0, err
    figures = json.loads((tmp_path / "codes.json").read_text())["figures"]["ae_mnist"]["3"]
    exported = zoo.load(tmp_path / "work" / "codes" / "ae_mnist-code_dim3-seed0" / "exported"
                        / "ae_mnist" / "1")
    assert exported.metadata["model_config"]["code_dim"] == 3
    images = unit_images(load_mnist("test", data)[0])
    reconstructions = exported.reconstruct(images)
    assert figures["mse"] == pytest.approx(np.mean((reconstructions - images) ** 2), rel=1e-4)
    assert 0 <= figures["linear_probe_accuracy"] <= 1
    assert "| code size | ae_mnist MSE | ae_mnist BCE (nats) | ae_mnist linear probe % |" in out
    assert "| 3 |" in out


def test_the_autoencoder_and_the_vae_are_measured_by_default():
    for task in ("one-class", "codes"):
        assert _script().parse_args([task]).entries == ["ae_mnist", "vae_mnist"]
    assert _script().parse_args(["ood"]).models == ["ae_mnist", "vae_mnist"]


@pytest.mark.parametrize("argv, message", [
    ([], "the following arguments are required: TASK"),
    (["one-class", "--classes", "12"], "--classes must name digits 0 to 9; got '12'"),
    (["one-class", "--classes", "a-b"], "--classes takes digits such as 0-9"),
    (["one-class", "--seeds", "0"], "--seeds must be at least 1; got 0"),
    (["one-class", "--entries", "nope"], "unknown entry 'nope'"),
    (["one-class", "--entries", "pix2pix_facades"],
     "pix2pix_facades cannot train on one class: its data set 'facades' has no labels"),
    (["codes", "--entries", "dcgan_mnist"], "dcgan_mnist takes no code size flag"),
    (["ood", "--k", "-1"], "--k must be at least 0; got -1"),
    # Nothing is scored in the codes task: no importance samples to set.
    (["codes", "--k", "3"], "unrecognized arguments: --k 3"),
])
def test_bad_flags_are_one_error_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _script().main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], err


def test_missing_data_is_one_error_line(tmp_path, capsys):
    assert _script().main(["ood", "--data-dir", str(tmp_path / "none"), "--models",
                           str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: Could not load MNIST split"), err


def test_help_shows_the_example_commands_and_each_task_its_own_flags(capsys):
    script = _script()
    with pytest.raises(SystemExit):
        script.parse_args(["--help"])
    text = capsys.readouterr().out
    assert "Run from the repository root:\n\n" in text
    for task in ("one-class", "ood", "codes"):
        assert f"    python benchmarks/outlier_detection.py {task} " in text
    helps = {}
    for task in ("one-class", "ood", "codes"):
        with pytest.raises(SystemExit):
            script.parse_args([task, "--help"])
        helps[task] = capsys.readouterr().out
        assert f"\n{task}: " in helps[task]  # the task's paragraph of the docstring
    assert "--k K" in helps["one-class"] and "--k K" in helps["ood"]
    assert "--k" not in helps["codes"]


def test_a_cached_run_is_scored_again_with_its_family_s_current_score(one_class_run, tmp_path,
                                                                       monkeypatch):
    # A copy of the finished run, and a VAE family whose score now returns its first output
    # alone: the run is not trained again, its export is rewritten with the current signatures,
    # and the table has the current outputs only (not the cached figures).
    import dataclasses
    import shutil

    import zoo.families.vae as vae
    from zoo.signatures import Signature

    work = tmp_path / "work"
    shutil.copytree(one_class_run["root"] / "work", work)
    argv = [*one_class_run["argv"]]
    argv[argv.index("--work-dir") + 1] = str(work)
    argv[argv.index("--json") + 1] = str(tmp_path / "figures.json")

    original = vae.FAMILY.signatures

    def first_score_only(model):
        declared = original(model)
        score = next(signature for signature in declared if signature.name == "score")
        first = score.outputs[0].name
        changed = Signature("score", score.description, score.inputs, score.outputs[:1],
                            lambda images: {first: score.function(images)[first]})
        return [changed if signature.name == "score" else signature for signature in declared]

    script = _script()
    monkeypatch.setattr(vae, "FAMILY", dataclasses.replace(vae.FAMILY,
                                                          signatures=first_score_only))
    trained = []
    monkeypatch.setattr(script, "train_model",
                        lambda *args: trained.append(args) or _finished(args))
    code, out, err = _run_with(script, argv)
    assert code == 0, err
    assert len(trained) == 1  # asked once, and found finished: no training
    assert "its signatures are not its family's any more; rewriting them" in err
    export = work / "one_class" / "vae_mnist-class1-seed0" / "exported" / "vae_mnist" / "1"
    outputs = zoo.load(export).signatures["score"].output_names
    assert outputs == ("complexity_corrected",)
    figures = json.loads((tmp_path / "figures.json").read_text())
    assert list(figures["per_class"]) == ["vae_mnist complexity_corrected",
                                          f"vae_mnist {IW_NLL} (k=3)"]


def _finished(args) -> object:
    """The export a finished run's train_model call returns."""
    entry, out, export_dir, flags = args
    return export_dir / entry / "1"


def _run_with(script, argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = script.main(argv)
    return code, out.getvalue(), err.getvalue()
