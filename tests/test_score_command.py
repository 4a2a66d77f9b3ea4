"""`zoo score`: image files scored against the held-out scores an export recorded, written as
scores.csv and a picture; its errors; and, with the shipped vae_mnist and ae_mnist, inputs
simpler than digits that their likelihood scores call typical but their recommended score
flags."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.command import main
from zoo.command.score import PICTURE_FILE, SCORES_FILE
from zoo.export import export_model
from zoo.families import get_family
from zoo.images import read_image
from zoo.outliers import SCORE_SIGNATURE, HeldOutImages, threshold
from helpers import REPO
from serving_exports import scoring_cases, tiny_exports

SCORING = scoring_cases()[0]


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def _write_png(path: Path, pixels: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tf.io.encode_png(np.asarray(pixels, np.uint8)).numpy())
    return path


def _rows(out: Path) -> list[dict[str, str]]:
    with open(out / SCORES_FILE, newline="") as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def scoring(tmp_path_factory) -> Path:
    """A tiny export of a scoring family's test case, with quantiles of 48 held-out images."""
    case = SCORING[0]
    model = get_family(case.family).model_class(**case.config, seed=0)
    images = case.features(48)["image"]
    return export_model(model, case.entry(), tmp_path_factory.mktemp("exported"), None,
                        HeldOutImages([images[:24], images[24:]], "mnist", "test"))


@pytest.fixture(scope="module")
def thin(tmp_path_factory) -> Path:
    """The same export with quantiles of ONE held-out image of class 3 (a one-class run on a
    small split): every recorded percentile is the same value."""
    case = SCORING[0]
    model = get_family(case.family).model_class(**case.config, seed=0)
    image = case.features(1)["image"]
    return export_model(model, case.entry(), tmp_path_factory.mktemp("thin"), None,
                        HeldOutImages([image], "mnist", "test", normal_class=3))


@pytest.fixture
def images(scoring, tmp_path) -> Path:
    """A folder of twelve PNGs of the model's size: typical ones and odd ones."""
    height, width, channels = zoo.load(scoring).signatures[SCORE_SIGNATURE].inputs[0].shape[1:]
    folder = tmp_path / "images"
    rng = np.random.default_rng(0)
    for index in range(12):
        _write_png(folder / f"image_{index:02d}.png",
                   rng.integers(0, 256, (height, width, channels)) if index % 3 else
                   np.full((height, width, channels), 255 * (index % 2)))
    return folder


def test_score_writes_the_files_scores_most_unusual_first_and_a_picture(scoring, images,
                                                                        tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["score", str(scoring), str(images), "--out", str(out), "--batch-size", "5"]) == 0
    printed = capsys.readouterr()
    assert printed.out == f"{out}\n"  # stdout: the results' folder alone
    assert "[zoo] scored 5/12 files" in printed.err and "[zoo] scored 12/12 files" in printed.err
    assert "warning: " in printed.err and "rest on 48 held-out examples" in printed.err

    rows = _rows(out)
    assert list(rows[0]) == ["file", "score", "percentile", "outlier"]
    assert sorted(row["file"] for row in rows) == [str(path) for path in
                                                   sorted(images.glob("*.png"))]
    scores = [float(row["score"]) for row in rows]
    assert scores == sorted(scores, reverse=True)
    model = zoo.load(scoring)
    shape = model.signatures[SCORE_SIGNATURE].inputs[0].shape[1:]
    pixels = np.stack([read_image(row["file"], shape[2], shape[:2]) for row in rows])
    expected = model.outlier_scores(pixels)
    np.testing.assert_allclose(scores, expected["score"], rtol=1e-4)
    # One decimal, rounded down.
    shown = np.array([float(row["percentile"]) for row in rows])
    assert np.all(shown <= expected["percentile"] + 0.01), (shown, expected["percentile"])
    assert np.all(shown > expected["percentile"] - 0.11), (shown, expected["percentile"])
    limit = threshold(model.score_quantiles)
    assert [row["outlier"] for row in rows] == ["yes" if score > limit else "no"
                                                for score in np.float32(scores)]
    picture = tf.io.decode_png((out / PICTURE_FILE).read_bytes()).numpy()
    assert picture.shape[0] > 100 and picture.shape[1] > picture.shape[0]
    assert not [path.name for path in out.iterdir() if path.name.startswith(".")]


def test_score_judges_by_another_output_when_asked_and_refuses_an_unknown_one(scoring, images,
                                                                            tmp_path, capsys):
    declaration = zoo.load(scoring).signatures[SCORE_SIGNATURE]
    outputs, shape = declaration.output_names, declaration.inputs[0].shape[1:]
    for output in outputs[1:]:
        out = tmp_path / output
        assert main(["score", str(scoring), str(images), "--out", str(out), "--score",
                     output]) == 0
        expected = zoo.load(scoring).outlier_scores(
            np.stack([read_image(row["file"], shape[2], shape[:2]) for row in _rows(out)]),
            output)
        np.testing.assert_allclose([float(row["score"]) for row in _rows(out)],
                                   expected["score"], rtol=1e-4)
    capsys.readouterr()
    assert main(["score", str(scoring), str(images), "--out", str(tmp_path / "x"),
                 "--score", "nope"]) == 2
    assert _one_error_line(capsys).startswith(
        f"error: --score 'nope' is not an output of tiny_{SCORING[0].name}'s score signature; "
        f"choose one of: {', '.join(outputs)}.")
    assert not (tmp_path / "x").exists()


def test_a_record_of_one_example_places_scores_above_or_below_it_and_is_warned_of(
        thin, images, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["score", str(thin), str(images), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "percentiles rest on 1 held-out example; with fewer than 100 " in err
    recorded = zoo.load(thin).score_quantiles["outputs"]
    recorded = recorded[next(iter(recorded))][0]
    for row in _rows(out):
        # Above the one held-out score is above all of them; below it, below all of them.
        expected = "100.0" if float(row["score"]) > recorded else "0.0"
        assert row["percentile"] == expected, row
        assert row["outlier"] == ("yes" if expected == "100.0" else "no"), row


def test_the_summary_names_the_held_out_data_as_zoo_info_does(thin, images, tmp_path,
                                                              capsys):
    """A one-class export's held-out examples are those of its class: the summary line says
    which, in zoo info's words."""
    assert main(["info", str(thin)]) == 0
    info = next(line for line in capsys.readouterr().out.splitlines()
                if line.startswith("score quantiles: "))
    source = re.search(r"held-out example \((.*?)\);", info).group(1)
    assert source == "mnist test, label 3"
    assert main(["score", str(thin), str(images), "--out", str(tmp_path / "out")]) == 0
    summary = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"percentile of 1 held-out example ({source}); wrote " in summary


def test_a_percentile_shown_as_100_is_above_every_held_out_score(scoring, images, tmp_path,
                                                                 capsys):
    """One decimal, rounded down: an input scored between the 99.9th percentile and the
    held-out maximum shows as 99.9, never 100.0."""
    import shutil

    from zoo.export_format import METADATA_FILE, write_metadata
    from zoo.outliers import QUANTILES_KEY, quantile_record

    folder = Path(shutil.copytree(scoring, tmp_path / "copy" / "1"))
    model = zoo.load(folder)
    declaration = model.signatures[SCORE_SIGNATURE]
    shape = declaration.inputs[0].shape[1:]
    path = sorted(images.glob("*.png"))[0]
    score = float(model.outlier_scores(read_image(path, shape[2], shape[:2])[None])["score"][0])
    # Held-out scores spaced evenly so that this input's is at the 99.97th percentile.
    step = max(abs(score), 1.0) / 100
    held_out = score + step * (np.arange(10001.0) - 9997)
    metadata = json.loads((folder / METADATA_FILE).read_text())
    write_metadata(folder, metadata | {QUANTILES_KEY: quantile_record(
        {name: held_out for name in declaration.output_names}, dataset="mnist", split="test")})
    assert float(zoo.load(folder).outlier_scores(
        read_image(path, shape[2], shape[:2])[None])["percentile"][0]) == pytest.approx(
            99.97, abs=0.005)
    assert main(["score", str(folder), str(path), "--out", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    [row] = _rows(tmp_path / "out")
    assert (row["percentile"], row["outlier"]) == ("99.9", "yes")


@pytest.mark.parametrize("case, message", [
    ("unreadable", r"bad\.png is not a readable JPEG or PNG image"),
    ("missing", r"nothere\.png does not exist; pass image files"),
    ("empty folder", r"empty holds no \.jpg, \.jpeg, \.png files to score\."),
    ("out is a file", r"--out .*taken is a file, not a folder"),
    ("picture is a folder", r"cannot write .*out/typical\.png: it is a folder; remove it or "
                            r"choose another --out\.$"),
    ("out under a file", r"cannot write to --out .*afile\.txt/sub: .*afile\.txt is a file, "
                         r"not a folder\.$"),
    ("out in /proc", r"cannot write to --out /proc/zoo_score_test: "),
    ("out is an input", r"--out .*images is the input folder .*images, whose images the "
                        r"results would join; choose another folder, e.g\. --out "
                        r".*images_scored\.$"),
    ("out inside an input", r"--out .*images/results is inside the input folder .*images,"),
    ("out is an input file's folder", r"--out .*images is the folder of the input "
                                      r".*images/image_00\.png, whose images the results would "
                                      r"join; choose another folder, e\.g\. --out "
                                      r".*images_scored\.$"),
    ("out named like an image", r"--out .*result\.png is the folder the results are written "
                                r"to, not an image file; choose a folder name without \.png\."),
])
def test_score_errors_are_one_line_and_write_nothing(case, message, scoring, images, tmp_path,
                                                     capsys):
    """Each is found before anything is scored (the error is the only line: no progress) and
    nothing is written, not even the output folder."""
    out = tmp_path / "out"
    inputs = [str(images)]
    if case == "unreadable":
        (images / "zz_bad.png").write_bytes(b"not a picture")
    elif case == "missing":
        inputs.append(str(tmp_path / "nothere.png"))
    elif case == "empty folder":
        (tmp_path / "empty").mkdir()
        inputs.append(str(tmp_path / "empty"))
    elif case == "out is a file":
        out = tmp_path / "taken"
        out.write_text("")
    elif case == "picture is a folder":
        (out / PICTURE_FILE).mkdir(parents=True)
    elif case == "out under a file":
        (tmp_path / "afile.txt").write_text("")
        out = tmp_path / "afile.txt" / "sub"
    elif case == "out in /proc":
        out = Path("/proc/zoo_score_test")
    elif case == "out is an input":
        out = images
    elif case == "out inside an input":
        out = images / "results"
    elif case == "out is an input file's folder":
        inputs = [str(path) for path in sorted(images.glob("*.png"))]  # a shell's images/*.png
        out = images
    else:
        out = tmp_path / "result.png"
    before = sorted(tmp_path.rglob("*"))
    assert main(["score", str(scoring), *inputs, "--out", str(out)]) == 2
    assert re.search(message, _one_error_line(capsys))
    assert sorted(tmp_path.rglob("*")) == before


def test_every_unreadable_file_is_named_in_one_error_and_a_cmyk_jpeg_says_the_fix(
        scoring, images, tmp_path, capfd):
    """Every file is read before anything is scored, so all the unreadable ones are reported
    at once (the first ten named, the rest counted). A CMYK JPEG is refused from its header,
    with the fix, and the decoder's stray line never shows."""
    from PIL import Image

    Image.new("CMYK", (28, 28), (0, 0, 0, 255)).save(images / "a_cmyk.jpg", "JPEG")
    for index in range(12):
        (images / f"bad_{index:02d}.png").write_bytes(b"not a picture")
    out = tmp_path / "out"
    capfd.readouterr()
    assert main(["score", str(scoring), str(images), "--out", str(out)]) == 2
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: 13 of the 25 files do not read as "
                                               "images: "), err
    assert f"{images / 'a_cmyk.jpg'} (a CMYK JPEG: convert it to RGB); " in err[0]
    named = [f"{images / f'bad_{index:02d}.png'} (not a readable JPEG or PNG image)"
             for index in range(9)]
    assert "; ".join(named) + "; and 3 more. " in err[0]
    assert "bad_09.png" not in err[0] and not out.exists()
    # One alone is reported in its own words.
    for path in [*images.glob("bad_*.png")]:
        path.unlink()
    assert main(["score", str(scoring), str(images), "--out", str(out)]) == 2
    err = capfd.readouterr().err.strip().splitlines()
    assert err == [f"error: {images / 'a_cmyk.jpg'} is a CMYK JPEG (4 colour components), which "
                   "the zoo does not read; convert it to RGB (e.g. with Pillow, which matplotlib "
                   "installs: PIL.Image.open(FILE).convert('RGB').save(NEW)) and pass that."]


def test_a_folder_s_subfolders_and_other_entries_are_skipped_aloud_and_a_broken_link_refused(
        scoring, images, tmp_path, capsys):
    """Folders are not scanned recursively: what a folder holds besides its images is counted
    on stderr, not silently left out; a broken link named like an image is a missing file."""
    _write_png(images / "more" / "nested.png", np.zeros((4, 4, 1)))
    (images / "old").mkdir()
    (images / "notes.txt").write_text("")
    (images / "broken.png").symlink_to(tmp_path / "gone.png")
    out = tmp_path / "out"
    assert main(["score", str(scoring), str(images), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (f"error: {images / 'broken.png'} (a broken link to {tmp_path / 'gone.png'})"
                       " does not exist; pass image files (JPEG or PNG) or folders of them."), err
    assert not out.exists()
    (images / "broken.png").unlink()
    assert main(["score", str(scoring), str(images), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert (f"[zoo] {images}: skipped 2 subfolders (not scanned recursively) and 1 other entry "
            "(not .jpg, .jpeg, .png files)\n") in err
    assert sorted(Path(row["file"]).name for row in _rows(out)) == [
        f"image_{index:02d}.png" for index in range(12)]
    # A folder of images alone gets no such line.
    assert main(["score", str(scoring), str(images / "more"), "--out", str(tmp_path / "o")]) == 0
    assert "skipped" not in capsys.readouterr().err


def test_a_model_without_a_score_or_without_quantiles_is_one_error_line(images, tmp_path,
                                                                        capsys):
    exports = tiny_exports()
    other = next(folder for folder in exports.values()
                 if SCORE_SIGNATURE not in zoo.load(folder).signatures)
    assert main(["score", str(other), str(images), "--out", str(tmp_path / "out")]) == 2
    line = _one_error_line(capsys)
    assert "has no 'score' signature" in line and "entries that score: " in line
    assert "vae_mnist" in line.split("entries that score: ")[1]
    # The tiny exports were made without held-out images: no quantiles to place a score in.
    unrecorded = exports[SCORING[0].name]
    assert main(["score", str(unrecorded), str(images), "--out", str(tmp_path / "out")]) == 2
    assert "records no score quantiles" in _one_error_line(capsys)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("entry, likelihood", [("vae_mnist", "negative_elbo"),
                                               ("ae_mnist", "reconstruction_error")])
def test_inputs_simpler_than_digits_look_typical_to_the_likelihood_but_are_flagged(
        entry, likelihood, tmp_path, capsys):
    """The shipped exports and the quantiles they recorded on test[8000:]: a blank page and
    filled squares score a LOWER negative ELBO (reconstruction error) than most held-out
    digits (Nalisnick et al. 2019's failure), yet the recommended score, corrected for input
    complexity (Serra et al. 2020), puts them above the 99th percentile, as it does constant
    grey, white and smooth gradients."""
    export = REPO / "exported" / entry / "1"
    black = np.zeros((28, 28, 1))
    squares = {}
    for size in (4, 8):
        squares[size] = black.copy()
        squares[size][10:10 + size, 10:10 + size] = 255
    ramp = np.linspace(0, 255, 28)
    simple = {"blank": black, "square4": squares[4], "square8": squares[8],
              "white": black + 255, "grey": black + 128,
              "gradient": np.broadcast_to(ramp[None, :, None], (28, 28, 1)),
              "diagonal": ((ramp[None, :] + ramp[:, None]) / 2)[..., None]}
    folder = tmp_path / "simple"
    for name, pixels in simple.items():
        _write_png(folder / f"{name}.png", np.round(pixels))

    def scored(*flags: str) -> dict[str, dict[str, str]]:
        out = tmp_path / ("out" + "".join(flags))
        assert main(["score", str(export), str(folder), "--out", str(out), *flags]) == 0
        return {Path(row["file"]).stem: row for row in _rows(out)}

    recommended, elbo = scored(), scored("--score", likelihood)
    capsys.readouterr()
    assert all(row["outlier"] == "yes" and float(row["percentile"]) > 99.0
               for row in recommended.values()), recommended
    for name in ("blank", "square4", "square8"):
        assert elbo[name]["outlier"] == "no" and float(elbo[name]["percentile"]) < 50.0, \
            elbo[name]
    assert float(elbo["blank"]["percentile"]) < 1.0  # more typical than 99% of digits
