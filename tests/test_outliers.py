"""Scores read as percentiles of typical data: the quantile record, its threshold, recording
it at export for any family that scores, for an existing export, and reading it back through
`zoo.load`."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import zoo
import zoo.export
from zoo.errors import ConfigurationError, DamagedExportError, ExportError, InputError
from zoo.export import export_model
from zoo.export_format import METADATA_FILE, write_metadata
from zoo.families import get_family
from zoo.registry import get_entry
from zoo.outliers import (PERCENTILES, QUANTILES_KEY, SCORE_SIGNATURE, THRESHOLD_PERCENTILE,
                          HeldOutImages, check_record, outlier_verdicts, percentile,
                          quantile_record, score_batches, threshold)
from zoo.rewrite_signatures import record_score_quantiles, rewrite_signatures
from helpers import REPO, write_mnist_idx
from serving_exports import scoring_cases


def _record(values, **outputs) -> dict:
    return quantile_record({"first": np.asarray(values, float), **outputs}, dataset="mnist",
                           split="test[8000:]")


def test_the_record_holds_each_outputs_percentiles_every_half_percent_and_the_tails():
    rng = np.random.default_rng(0)
    first, second = rng.normal(size=2000), rng.exponential(size=2000)
    record = _record(first, second=second)
    assert record["recommended"] == "first" and record["examples"] == 2000
    assert record["threshold_percentile"] == THRESHOLD_PERCENTILE == 99.0
    assert record["percentiles"] == list(PERCENTILES)
    assert {0.0, 0.1, 1.0, 50.0, 99.0, 99.5, 99.9, 100.0} <= set(PERCENTILES)
    assert np.all(np.diff(PERCENTILES) <= 0.5)
    for name, values in (("first", first), ("second", second)):
        np.testing.assert_allclose(record["outputs"][name], np.percentile(values, PERCENTILES),
                                   rtol=1e-6)
    check_record(json.loads(json.dumps(record)))  # what zoo.json holds


def test_percentiles_interpolate_clip_and_split_ties_and_the_threshold_is_the_99th():
    record = _record(np.arange(1001.0))
    assert percentile(record, None, [-1.0, 0.0, 10.0, 500.5, 990.0, 1000.0, 1e9]).tolist() == [
        0.0, 0.0, 1.0, 50.05, 99.0, 100.0, 100.0]
    assert threshold(record) == 990.0
    verdicts = outlier_verdicts(record, [989.0, 990.0, 990.5, 5000.0])
    assert verdicts["outlier"].tolist() == [False, False, True, True]
    assert verdicts["score"].dtype == np.float32
    # Half the held-out scores equal: a score there is in the middle of their percentiles.
    tied = _record(np.r_[np.zeros(500), np.arange(1.0, 501.0)])
    assert float(percentile(tied, "first", 0.0)) == pytest.approx(25.0, abs=0.3)
    # About 1% false alarms on typical data: scores drawn as the held-out ones.
    rng = np.random.default_rng(1)
    record = _record(rng.normal(size=5000))
    flagged = outlier_verdicts(record, rng.normal(size=20000))["outlier"].mean()
    assert 0.007 < flagged < 0.013


def test_a_score_beyond_a_tied_record_is_at_its_end_not_in_the_tie():
    """A record of one held-out example (every recorded value equal), or one whose lowest or
    highest values are tied: a score above all of them is percentile 100, below all 0."""
    one = _record([7.0])
    assert one["examples"] == 1
    assert percentile(one, None, [6.0, 8.0, 1e9]).tolist() == [0.0, 100.0, 100.0]
    assert 0.0 < float(percentile(one, None, 7.0)) < 100.0  # equal: within the tie
    assert outlier_verdicts(one, [6.0, 8.0])["outlier"].tolist() == [False, True]
    # The lowest tenth (and the highest tenth) of the held-out scores equal.
    tails = _record(np.r_[np.zeros(100), np.arange(1.0, 801.0), np.full(100, 900.0)])
    assert percentile(tails, None, [-1.0, 1000.0]).tolist() == [0.0, 100.0]
    assert 0.0 < float(percentile(tails, None, 0.0)) < 10.5
    assert 89.5 < float(percentile(tails, None, 900.0)) < 100.0


def test_a_record_that_does_not_parse_says_what_is_wrong():
    record = _record(np.arange(200.0))
    for change, message in [
            ({"percentiles": [0, 50, 100]}, "one finite value per percentile"),
            ({"percentiles": list(reversed(PERCENTILES))}, "increasing numbers from 0 to 100"),
            ({"recommended": "other"}, "recommended output's values"),
            ({"outputs": {"first": list(reversed(record["outputs"]["first"]))}},
             "in increasing order")]:
        with pytest.raises(ValueError, match=message):
            check_record(record | change)
    with pytest.raises(ValueError, match="missing 'outputs'"):
        check_record({"recommended": "first", "percentiles": [0, 100]})
    with pytest.raises(ValueError, match="NaN or infinite for 1 held-out example"):
        _record([0.0, np.nan, 1.0])


def test_the_module_imports_without_tensorflow():
    code = "import sys, zoo.outliers; assert 'tensorflow' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


SCORING, NOT_SCORING = scoring_cases()


def _held_out(case, count: int = 40) -> tuple[HeldOutImages, np.ndarray]:
    images = case.features(count)["image"]
    batches = [images[start:start + 16] for start in range(0, count, 16)]
    return HeldOutImages(batches, "mnist", "test[8000:]"), images.astype("float32") / 255.0


@pytest.mark.parametrize("case", SCORING, ids=lambda case: case.name)
def test_an_export_that_scores_records_the_held_out_distribution_of_each_output(case,
                                                                               tmp_path):
    model = get_family(case.family).model_class(**case.config, seed=0)
    held_out, images = _held_out(case)
    version = export_model(model, case.entry(), tmp_path, {"training": {}}, held_out)
    loaded = zoo.load(version)  # checks every file against the record
    record = loaded.score_quantiles
    outputs = loaded.signatures[SCORE_SIGNATURE].output_names
    assert list(record["outputs"]) == list(outputs) and record["recommended"] == outputs[0]
    assert (record["dataset"], record["split"], record["examples"]) == ("mnist", "test[8000:]",
                                                                       40)
    # Scored by the served graph, as a user's images are, in the same batches (the VAE's draws
    # of z depend on the batch's shape).
    batches = [loaded.score(images[start:start + 16]) for start in range(0, len(images), 16)]
    scores = {name: np.concatenate([batch[name] if isinstance(batch, dict) else batch
                                    for batch in batches]) for name in outputs}
    for name in outputs:
        np.testing.assert_allclose(record["outputs"][name],
                                   np.percentile(scores[name], PERCENTILES), rtol=1e-5)
    verdicts = loaded.outlier_scores(images)
    assert set(verdicts) == {"score", "percentile", "outlier"}
    np.testing.assert_allclose(verdicts["score"], scores[outputs[0]], rtol=1e-3)
    assert verdicts["outlier"].sum() <= 1  # the held-out images themselves: 1% at most
    assert np.all((verdicts["percentile"] >= 0) & (verdicts["percentile"] <= 100))
    with pytest.raises(ConfigurationError, match=r"has no output 'nope'; it has "
                                                 + ", ".join(outputs)):
        loaded.outlier_scores(images, "nope")


@pytest.mark.parametrize("case", NOT_SCORING, ids=lambda case: case.name)
def test_an_export_that_does_not_score_records_nothing_and_says_which_entries_score(case,
                                                                                   tmp_path):
    def unread():
        raise AssertionError("the held-out images of a model that does not score were read")
        yield

    model = get_family(case.family).model_class(**case.config, seed=0)
    version = export_model(model, case.entry(), tmp_path, None,
                           HeldOutImages(unread(), "mnist", "test"))
    loaded = zoo.load(version)
    assert QUANTILES_KEY not in loaded.metadata and loaded.score_quantiles is None
    with pytest.raises(ConfigurationError, match=r"has no 'score' signature .*no outlier "
                                                 r"scores; entries that score: .*vae_mnist"):
        loaded.outlier_scores(np.zeros((1, 8, 8, 1), "float32"))


def test_an_export_whose_scoring_fails_is_not_written(tmp_path):
    case = SCORING[0]

    def broken():
        yield case.features(4)["image"]
        raise OSError("the held-out data went away")

    model = get_family(case.family).model_class(**case.config, seed=0)
    with pytest.raises(OSError, match="went away"):
        export_model(model, case.entry(), tmp_path, None, HeldOutImages(broken(), "mnist", "t"))
    # The quantiles are part of the version: without them there is no version at all.
    assert [path.name for path in (tmp_path / case.entry().name).iterdir()] == []


@pytest.fixture(scope="module")
def unrecorded(tmp_path_factory) -> Path:
    """A small vae_mnist export (28x28, as MNIST) without quantiles, trained on 'train'."""
    model = zoo.build("vae_mnist", latent_dim=2, filters=(4,), hidden_units=8, seed=0)
    return export_model(model, get_entry("vae_mnist"), tmp_path_factory.mktemp("exported"),
                        {"training": {"dataset": "mnist", "train_split": "train"}})


def test_an_export_without_quantiles_says_how_to_record_them_and_they_can_be_recorded(
        unrecorded, tmp_path):
    import shutil

    folder = Path(shutil.copytree(unrecorded, tmp_path / "copy" / "1"))
    loaded = zoo.load(folder)
    images = np.zeros((2, *loaded.signatures[SCORE_SIGNATURE].inputs[0].shape[1:]), "float32")
    with pytest.raises(ExportError, match=r"records no score quantiles .*record them with "
                                          r"zoo\.rewrite_signatures\.record_score_quantiles\("):
        loaded.outlier_scores(images)
    data = write_mnist_idx(tmp_path / "mnist", train=8, test=24)
    with pytest.raises(ConfigurationError, match="was trained on mnist train"):
        record_score_quantiles(folder, "mnist", "train[:4]", data)
    before = json.loads((folder / METADATA_FILE).read_text())
    record = record_score_quantiles(folder, "mnist", "test", data, batch_size=10)
    after = json.loads((folder / METADATA_FILE).read_text())
    assert record["examples"] == 24 and after[QUANTILES_KEY] == record
    assert {key: value for key, value in after.items() if key != QUANTILES_KEY} == before
    assert zoo.load(folder).outlier_scores(images)["outlier"].shape == (2,)


def test_a_record_for_other_outputs_or_a_damaged_one_is_refused(unrecorded, tmp_path):
    import shutil

    folder = Path(shutil.copytree(unrecorded, tmp_path / "copy" / "1"))
    metadata = json.loads((folder / METADATA_FILE).read_text())
    images = np.zeros((1, *zoo.load(folder).signatures[SCORE_SIGNATURE].inputs[0].shape[1:]),
                      "float32")
    write_metadata(folder, metadata | {QUANTILES_KEY: _record(np.arange(200.0))})
    with pytest.raises(ExportError, match=r"recorded for the outputs first, but its score\(\) "
                                          r"returns .*record them with"):
        zoo.load(folder).outlier_scores(images)
    write_metadata(folder, metadata | {QUANTILES_KEY: {"recommended": "x"}})
    with pytest.raises(DamagedExportError, match="'score_quantiles' record does not parse: "
                                                 "missing 'outputs', 'percentiles'"):
        zoo.load(folder).outlier_scores(images)


def test_a_rewrite_drops_the_quantiles_when_the_score_signature_changed(unrecorded, tmp_path,
                                                                        monkeypatch):
    # (One that leaves the score signature as it was keeps them: tests/test_rewrite_signatures.)
    import shutil

    folder = Path(shutil.copytree(unrecorded, tmp_path / "copy" / "1"))
    metadata = json.loads((folder / METADATA_FILE).read_text())
    outputs = zoo.load(folder).signatures[SCORE_SIGNATURE].output_names
    record = quantile_record({name: np.arange(200.0) for name in outputs}, dataset="mnist",
                             split="test")
    write_metadata(folder, metadata | {QUANTILES_KEY: record})
    family = get_family(metadata["family"])
    changed = dataclasses.replace(family, signatures=lambda model: [
        dataclasses.replace(signature, description="changed")
        if signature.name == SCORE_SIGNATURE else signature
        for signature in family.signatures(model)])
    monkeypatch.setattr(zoo.export, "get_family", lambda name: changed)
    rewrite_signatures(folder)
    assert zoo.load(folder).score_quantiles is None


def test_a_score_signature_with_one_output_records_and_scores(tmp_path):
    """An autoencoder with the Gaussian loss scores by `reconstruction_error` alone, and
    `zoo.load(...).call` gives a one-output signature's array bare: recording its quantiles
    and judging by it work as for a signature of several outputs."""
    model = zoo.build("ae_mnist", loss="gaussian", code_dim=2, filters=(4,), hidden_units=8,
                      seed=0)
    folder = export_model(model, get_entry("ae_mnist"), tmp_path / "exported",
                          {"training": {"dataset": "mnist", "train_split": "train"}})
    loaded = zoo.load(folder)
    assert loaded.signatures[SCORE_SIGNATURE].output_names == ("reconstruction_error",)
    data = write_mnist_idx(tmp_path / "mnist", train=8, test=24)
    record = record_score_quantiles(folder, "mnist", "test", data, batch_size=10)
    assert list(record["outputs"]) == ["reconstruction_error"] and record["examples"] == 24
    images = np.zeros((3, 28, 28, 1), "float32")
    verdicts = zoo.load(folder).outlier_scores(images, "reconstruction_error")
    assert verdicts["score"].shape == verdicts["outlier"].shape == (3,)
    np.testing.assert_allclose(verdicts["score"], loaded.score(images), rtol=1e-5)


def test_score_batches_takes_a_bare_array_from_a_one_output_signature():
    scores = score_batches(lambda batch: batch.sum(axis=(1, 2, 3)),
                           [np.ones((2, 2, 2, 1), np.uint8) * 255], ("error",))
    assert scores["error"].tolist() == [4.0, 4.0]
    with pytest.raises(ValueError, match="declares the outputs a, b but returned a single"):
        score_batches(lambda batch: batch.sum(), [np.ones((1, 2, 2, 1))], ("a", "b"))


def test_outlier_scores_refuses_images_that_do_not_fit_naming_itself(unrecorded, tmp_path):
    import shutil

    folder = Path(shutil.copytree(unrecorded, tmp_path / "copy" / "1"))
    outputs = zoo.load(folder).signatures[SCORE_SIGNATURE].output_names
    metadata = json.loads((folder / METADATA_FILE).read_text())
    write_metadata(folder, metadata | {QUANTILES_KEY: quantile_record(
        {name: np.arange(200.0) for name in outputs}, dataset="mnist", split="test")})
    with pytest.raises(InputError, match=r"^outlier_scores\(\) expects 'images'"):
        zoo.load(folder).outlier_scores(np.zeros((1, 5, 5, 1), "float32"))
