"""The `zoo` command: info, translate, train and serving-config (list and sample: test_main.py;
score: test_score_command.py), in-process and through the installed console script."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format

import zoo
import zoo.paths
from zoo.command import main
from zoo.command.translate import read_input
from zoo.export import record_evaluation
from zoo.images import to_uint8
from zoo.paths import versions
from zoo.registry import ENTRIES
from zoo.runtime.cli import build_parser
from helpers import REPO, newest_shipped, write_mnist_idx
from serving_exports import tiny_exports

LOG_MARKERS = ("tensorflow/", "oneDNN", "absl::InitializeLog", "cuda", "cpu_feature_guard")
"""Pieces of TensorFlow's start-up and C++ log lines."""


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def _png(path: Path) -> np.ndarray:
    return tf.io.decode_png(path.read_bytes()).numpy()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`zoo train vae_mnist` for two steps on generated digits, run in a fresh folder with
    $ZOO_EXPORTED_DIR unset, so the export goes to ./exported; an evaluation is recorded."""
    folder = tmp_path_factory.mktemp("train")
    data = write_mnist_idx(folder / "mnist", train=32)
    flags = ["--data-dir", str(data), "--out", "run", "--epochs", "1", "--batch-size", "8",
             "--steps-per-epoch", "2"]
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        patch.delenv(zoo.paths.EXPORTED_ENV, raising=False)
        patch.chdir(folder)
        status = main(["train", "vae_mnist", *flags])
    version = folder / "exported" / "vae_mnist" / "1"
    record_evaluation(version, "vae_likelihood", {"nll_nats": 123.4, "split": {"name": "test"}})
    return status, version, out.getvalue(), err.getvalue()


def test_train_runs_the_recipe_and_exports_to_dot_exported(trained):
    status, version, out, err = trained
    assert status == 0
    # The export folder is the run's one result on stdout; progress, Keras' too, on stderr.
    assert out.endswith("\n") and out.count("\n") == 1 and Path(out.strip()) == version
    assert "[zoo] training vae_mnist" in err and "[zoo] exported to" in err and "loss" in err
    model = zoo.load(version)
    assert model.metadata["training"]["epochs"] == 1
    assert model.metadata["training"]["train_examples"] == 32
    assert model.sample(count=2, seed=0).shape == (2, 28, 28, 1)
    assert (version.parent.parent.parent / "run" / "run.json").is_file()


def test_train_help_lists_the_recipe_flags_under_its_own_name(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "pix2pix_facades", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: zoo train pix2pix_facades ")
    assert "--image-size" in text and "--lambda-gan" in text
    assert text == build_parser(ENTRIES["pix2pix_facades"], prog="zoo train pix2pix_facades"
                                ).format_help()


def test_an_interrupted_training_run_says_how_to_go_on(monkeypatch, tmp_path, capsys):
    def interrupted(entry, args):
        raise KeyboardInterrupt

    monkeypatch.setattr("zoo.runtime.train.train", interrupted)
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "vae_mnist", "--out", str(tmp_path / "run")])
    assert exit_info.value.code == 130
    assert capsys.readouterr().err == (
        "[zoo] interrupted; no epoch was finished, so nothing is kept: run the same command "
        "again to start again.\n")


def test_serving_config_of_a_missing_folder_says_so(capsys):
    assert main(["serving-config", "--exported", "/no/such/folder"]) == 2
    assert _one_error_line(capsys).startswith("error: --exported /no/such/folder is not a folder")


@pytest.mark.parametrize("argv, message", [
    (["train", "vae_mnist", "--epochs", "two"], "--epochs must be an integer; got 'two'"),
    (["train", "vae_cifar"], "unknown entry 'vae_cifar'"),
    (["train"], "`zoo train` needs an entry"),
    (["nonsense"], "invalid choice: 'nonsense'"),
    (["sample", "vae_mnist", "--count", "0"], "--count must be at least 1; got 0"),
    # The entry is ENTRY in every subcommand's help and errors.
    (["sample"], "error: the following arguments are required: ENTRY (see `zoo sample --help`)."),
    (["sample", "vae_mnist", "--seed", str(2**64)], f"--seed must be {-2**63} to {2**63 - 1}"),
])
def test_usage_errors_are_one_error_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in _one_error_line(capsys)


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"zoo {zoo.__version__}\n"


@pytest.mark.parametrize("command", ["info", "sample", "train", "translate", "score"])
def test_usage_names_the_entry_argument_entry(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    usage = capsys.readouterr().out.split("\n\n")[0]
    assert re.search(r"\bENTRY\b", usage) and "model" not in usage, usage


@pytest.mark.parametrize("command", ["info", "sample", "translate", "score", "serving-config"])
def test_help_says_each_default_once(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    options = capsys.readouterr().out.split("options:")[1]
    for option in re.split(r"\n  (?=-)", options):
        text = " ".join(option.split())
        # argparse's "(default: X)" only where the help does not already tell the default.
        assert "(default: None)" not in text and not re.search(r"default.*\(default: [^)]*\)$",
                                                               text), text


def test_info_shows_folder_signatures_training_and_evaluation(trained, capsys):
    version = trained[1]
    assert main(["info", str(version)]) == 0
    out = capsys.readouterr().out
    model = zoo.load(version)
    assert out.startswith(f"vae_mnist: {ENTRIES['vae_mnist'].description}\n")
    assert f"export: {version} (version 1; versions here: 1)" in out
    recorded = model.metadata["training"]["command"]
    # Recorded as the recipe's command line by older zoos; shown as `zoo train` always.
    flags = re.sub(r"^(python recipes/vae_mnist\.py|zoo train vae_mnist) ", "", recorded)
    assert flags.startswith("--") and f"trained with: zoo train vae_mnist {flags}\n" in out
    for name, signature in model.signatures.items():
        assert f"  {name}: {signature.description}" in out
        for spec in signature.inputs:
            assert f"    input  {spec.expected()}" in out
    assert "    output 'negative_elbo': float32" in out
    # The held-out scores the runtime recorded, and each output's threshold.
    assert re.search(r"\nscore quantiles: 16 held-out examples \(mnist test\); an input is an "
                     r"outlier above the 99th percentile of its score:\n"
                     r"  complexity_corrected \(recommended\): above -?[\d.]+\n"
                     r"  negative_elbo: above [\d.]+\n", out), out
    assert "  vae_likelihood:\n    nll_nats: 123.4\n    split:\n      name: test" in out
    assert "(32 examples), 1 epoch of 2 steps, global batch 8" in out


def test_info_shows_a_recipe_command_as_the_zoo_train_command(trained, capsys):
    version = trained[1]
    path = version / "zoo.json"
    kept = path.read_text()
    metadata = json.loads(kept)
    metadata["training"]["command"] = "python recipes/vae_mnist.py --epochs 1 --train-split 'a b'"
    try:
        # zoo.json's own edits leave the file record valid: it lists every file but zoo.json.
        path.write_text(json.dumps(metadata, indent=2) + "\n")
        assert main(["info", str(version)]) == 0
    finally:
        path.write_text(kept)
    assert "\ntrained with: zoo train vae_mnist --epochs 1 --train-split 'a b'\n" in (
        capsys.readouterr().out)


@pytest.mark.parametrize("folder", sorted((REPO / "exported").glob("*/*/zoo.json")),
                         ids=lambda path: path.parent.parent.name)
def test_the_shipped_exports_record_the_zoo_train_command(folder):
    command = json.loads(folder.read_text())["training"]["command"]
    entry = folder.parent.parent.name
    assert command.startswith(f"zoo train {entry} --")
    assert shlex.join(shlex.split(command)) == command  # quoted for any shell


def test_info_of_a_gan_lists_only_the_settings_of_its_architecture(capsys):
    assert main(["info", "cgan_mnist"]) == 0
    config = next(line for line in capsys.readouterr().out.splitlines()
                  if line.startswith("model config: "))
    assert "architecture=dcgan28" in config and "latent_dim=100" in config
    assert "dropout=0.3" in config  # the dcgan28 discriminator's
    for mlp_only in ("generator_units", "discriminator_units", "pack", "maxout_pieces",
                     "discriminator_normalization"):
        assert f"{mlp_only}=" not in config


def test_info_without_a_model_lists_the_export_folders(tmp_path, monkeypatch, capsys):
    package = tmp_path / "site-packages" / "zoo" / "_exported"
    (package / "vae_mnist" / "1").mkdir(parents=True)
    (package / "vae_mnist" / "1" / "saved_model.pb").write_bytes(b"")
    (tmp_path / "exported").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(zoo.paths.EXPORTED_ENV, raising=False)
    monkeypatch.setattr(zoo.paths, "checkout_exports", lambda: None)
    monkeypatch.setattr(zoo.paths, "PACKAGE_EXPORTS", package)
    assert zoo.paths.shipped_exports() == package
    assert main(["info"]) == 0
    assert capsys.readouterr().out.splitlines()[:4] == [
        "Exports are looked up by name in these folders, in order (the first holding an entry "
        "wins):",
        f"  1. {tmp_path / 'exported'} (./exported): no exports",
        f"  2. {package} (installed with the package, shipped with the zoo): vae_mnist",
        f"Shipped exports: {package}"]
    monkeypatch.setenv(zoo.paths.EXPORTED_ENV, str(tmp_path / "mine"))
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"  1. {tmp_path / 'mine'} ($ZOO_EXPORTED_DIR): no such folder\n" in out
    assert f"New exports are written to {tmp_path / 'mine'} " in out


def test_the_shipped_exports_are_the_checkouts_in_an_editable_install():
    assert zoo.paths.shipped_exports() == REPO / "exported"


def test_info_of_an_entry_without_export_gives_the_registry_and_train_command(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(zoo.paths.EXPORTED_ENV, str(tmp_path / "empty"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(zoo.paths, "checkout_exports", lambda: None)
    monkeypatch.setattr(zoo.paths, "PACKAGE_EXPORTS", tmp_path / "none")
    assert main(["info", "pix2pix_facades"]) == 0
    out = capsys.readouterr().out
    assert f"export: none (searched {tmp_path / 'empty'}, {tmp_path / 'exported'})" in out
    assert "image_size=256" in out and "200 epochs, global batch 1" in out
    assert "model flags: --image-size --filters --lambda-gan" in out
    assert "train and export it: zoo train pix2pix_facades" in out
    assert main(["info", "pix2pix_facades", "--version", "1"]) == 2
    assert "has no export, so no version 1" in _one_error_line(capsys)


@pytest.mark.parametrize("argv, message", [
    (["info", "vae_cifar"], "Unknown zoo entry 'vae_cifar'"),
    (["info", "vae_mnist", "--version", "9"], "no version 9"),
    (["info", "./no/such/folder"], "No export directory at ./no/such/folder: pass an existing "
                                   "export folder"),
    (["info", "--version", "1"], "--version needs an entry: `zoo info ENTRY --version N`"),
])
def test_info_errors_are_one_line(argv, message, capsys):
    assert main(argv) == 2
    assert message in _one_error_line(capsys)


JPEG_MAGIC, PNG_MAGIC = b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name, magic", [("grid.jpg", JPEG_MAGIC), ("grid.JPEG", JPEG_MAGIC),
                                         ("grid.png", PNG_MAGIC)])
def test_sample_writes_the_format_its_out_suffix_names(name, magic, tmp_path, capsys):
    out = tmp_path / name
    assert main(["sample", "vae_mnist", "--count", "1", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(magic)
    assert tf.io.decode_image(out.read_bytes()).shape[-1] == 1
    assert capsys.readouterr().out == (
        f"wrote 1 sample of {zoo.load('vae_mnist').path} to {out}\n")
    assert [path.name for path in tmp_path.iterdir()] == [name]  # no temporary file left


@pytest.mark.parametrize("name", ["grid.gif", "grid"])
def test_sample_refuses_other_out_suffixes_before_drawing(name, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(zoo, "load", lambda *args, **kwargs: pytest.fail("loaded a model"))
    out = tmp_path / name
    assert main(["sample", "vae_mnist", "--out", str(out)]) == 2
    assert _one_error_line(capsys) == (f"error: --out {out}: the grid is written as PNG or JPEG; "
                                       "name the file *.png, *.jpg or *.jpeg.")
    assert list(tmp_path.iterdir()) == []


def test_a_missing_exported_dir_is_one_warning_line_and_the_search_goes_on(
        tmp_path, monkeypatch, capsys):
    missing = tmp_path / "no_such_folder"
    monkeypatch.setenv(zoo.paths.EXPORTED_ENV, str(missing))
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "grid.png"
    for _ in range(2):  # once per process
        assert main(["sample", "vae_mnist", "--count", "1", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    instead = ", ".join(str(root) for root in zoo.paths.search_roots()[1:] if root.is_dir())
    assert captured.err.splitlines() == [
        f"[zoo] warning: $ZOO_EXPORTED_DIR={missing} is not a folder; looking for exports in "
        f"{instead} instead."]
    assert f" of {newest_shipped('vae_mnist')} to " in captured.out


def _write(path: Path, pixels: np.ndarray) -> Path:
    encode = tf.io.encode_jpeg if path.suffix == ".jpg" else tf.io.encode_png
    path.write_bytes(encode(pixels).numpy())
    return path


def test_read_input_converts_channels_and_resizes(tmp_path):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (28, 28, 3), dtype=np.uint8)
    exact = read_input(_write(tmp_path / "rgb.png", rgb), 28, 28, 3)
    np.testing.assert_allclose(exact, rgb / 255.0, atol=1e-6)
    grey = read_input(_write(tmp_path / "grey.png", rgb[..., :1]), 12, 20, 3)
    assert grey.shape == (12, 20, 3) and grey.dtype == np.float32
    np.testing.assert_array_equal(grey[..., 0], grey[..., 2])
    assert read_input(tmp_path / "rgb.png", 28, 28, 1).shape == (28, 28, 1)


def test_translate_writes_one_png_per_file_at_the_models_size(tmp_path, capsys):
    rng = np.random.default_rng(1)
    inputs = tmp_path / "in"
    inputs.mkdir()
    exact = _write(inputs / "exact.png", rng.integers(0, 256, (28, 28, 3), dtype=np.uint8))
    grey = _write(inputs / "grey.png", rng.integers(0, 256, (40, 36, 1), dtype=np.uint8))
    photo = _write(inputs / "photo.jpg", rng.integers(0, 256, (50, 30, 3), dtype=np.uint8))
    out = tmp_path / "out"
    assert main(["translate", "cyclegan_mnist_restyle", str(exact), str(inputs / "grey.png"),
                 str(photo), "--out", str(out), "--direction", "b_to_a", "--batch-size", "2"]) == 0
    captured = capsys.readouterr()
    # grey.png keeps its aspect ratio (up to rounding it is not); photo.jpg loses it.
    assert captured.err.splitlines() == [
        f"[zoo] warning: {inputs / 'grey.png'} is 36x40; resized to 28x28, which changes its "
        "aspect ratio.",
        f"[zoo] warning: {photo} is 30x50; resized to 28x28, which changes its aspect ratio.",
        "[zoo] translated 2/3 files", "[zoo] translated 3/3 files"]
    assert "wrote 3 images translated by cyclegan_mnist_restyle b_to_a" in captured.out
    assert sorted(path.name for path in out.iterdir()) == ["exact.png", "grey.png", "photo.png"]
    model = zoo.load("cyclegan_mnist_restyle")
    for path in (exact, grey, photo):
        written = _png(out / f"{path.stem}.png")
        assert written.shape == (28, 28, 3)
        expected = to_uint8(model.b_to_a(read_input(path, 28, 28, 3)[None])[0])
        assert np.abs(written.astype(int) - expected).max() <= 1
    # An image already at the model's size goes in as its own pixels.
    direct = to_uint8(model.b_to_a(_png(exact)[None] / 255.0)[0])
    assert np.abs(_png(out / "exact.png").astype(int) - direct).max() <= 1
    # A folder stands for its images; the default direction is the serving_default, a_to_b.
    assert main(["translate", "cyclegan_mnist_restyle", str(inputs), "--out", str(out)]) == 0
    expected = to_uint8(model.a_to_b(read_input(grey, 28, 28, 3)[None])[0])
    assert np.abs(_png(out / "grey.png").astype(int) - expected).max() <= 1


def test_translate_with_pix2pix_converts_to_its_channels(tmp_path, capsys):
    photo = _write(tmp_path / "digit.jpg", np.full((64, 64, 3), 200, np.uint8))
    assert main(["translate", "pix2pix_mnist_inpaint", str(photo), "--out",
                 str(tmp_path / "out")]) == 0
    written = _png(tmp_path / "out" / "digit.png")
    assert written.shape == (32, 32, 1)
    expected = to_uint8(zoo.load("pix2pix_mnist_inpaint").translate(
        read_input(photo, 32, 32, 1)[None])[0])
    assert np.abs(written.astype(int) - expected).max() <= 1


def test_translate_refuses_a_side_by_side_pair_unless_told_which_half(tmp_path, capsys):
    # An AB pair as the pix2pix authors lay it out: the model's input (grey) on the right.
    left = np.full((32, 32, 1), 255, np.uint8)
    right = np.random.default_rng(2).integers(0, 256, (32, 32, 1), dtype=np.uint8)
    pair = _write(tmp_path / "pair.png", np.concatenate([left, right], axis=1))
    out = tmp_path / "out"
    assert main(["translate", "pix2pix_mnist_inpaint", str(pair), "--out", str(out)]) == 2
    assert _one_error_line(capsys) == (
        f"error: {pair} is 64x32, twice as wide as high: a side-by-side pair (the pix2pix "
        "layout; facades: photo left, label map right) would be squashed into 32x32; pass --take "
        "right or --take left to translate that half, or --take whole to resize the whole image.")
    assert not out.exists()
    model = zoo.load("pix2pix_mnist_inpaint")
    assert main(["translate", "pix2pix_mnist_inpaint", str(pair), "--out", str(out),
                 "--take", "right"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "[zoo] translated 1/1 files\n"
    assert "wrote 1 image translated by pix2pix_mnist_inpaint translate" in captured.out
    expected = to_uint8(model.translate(right[None] / 255.0)[0])
    assert np.abs(_png(out / "pair.png").astype(int) - expected).max() <= 1
    assert main(["translate", "pix2pix_mnist_inpaint", str(pair), "--out", str(out),
                 "--take", "whole"]) == 0
    assert capsys.readouterr().err.splitlines()[0] == (
        f"[zoo] warning: {pair} is 64x32; resized to 32x32, which changes its aspect ratio.")


def test_read_input_takes_a_half_of_a_pair(tmp_path):
    pixels = np.concatenate([np.zeros((4, 4, 3), np.uint8), np.full((4, 4, 3), 255, np.uint8)],
                            axis=1)
    path = _write(tmp_path / "pair.png", pixels)
    assert read_input(path, 4, 4, 3, take="left").max() == 0.0
    assert read_input(path, 4, 4, 3, take="right").min() == 1.0
    assert read_input(path, 4, 8, 3, take="whole").shape == (4, 8, 3)


def test_translate_takes_any_model_whose_export_declares_a_translation(tmp_path, capsys):
    """Chosen by its signatures, not its family: an export of a family the zoo does not know
    translates with its image-to-image signature."""
    source = tiny_exports()["pix2pix"]
    export = tmp_path / source.parent.name / source.name
    shutil.copytree(source, export)
    metadata = json.loads((export / "zoo.json").read_text())
    metadata["family"] = "restyler"
    (export / "zoo.json").write_text(json.dumps(metadata))
    photo = _write(tmp_path / "photo.png", np.random.default_rng(3).integers(
        0, 256, (16, 16, 3), dtype=np.uint8))
    assert main(["translate", str(export), str(photo), "--out", str(tmp_path / "out")]) == 0
    assert f"translated by {metadata['entry']} translate " in capsys.readouterr().out
    expected = to_uint8(zoo.load(export).translate(read_input(photo, 16, 16, 1)[None])[0])
    assert np.abs(_png(tmp_path / "out" / "photo.png").astype(int) - expected).max() <= 1


def test_translate_gives_a_model_of_any_size_each_image_at_its_own_size(tmp_path, capsys):
    """A model whose translation takes any size and records no image_size (the template
    family) gets each file at its own size, not a refusal."""
    export = tiny_exports()["template"]
    files = [_write(tmp_path / f"{name}.png", np.random.default_rng(4).integers(
        0, 256, shape, dtype=np.uint8)) for name, shape in (("wide", (6, 10, 1)),
                                                            ("tall", (12, 4, 3)))]
    assert main(["translate", str(export), *map(str, files), "--out", str(tmp_path / "out")]) == 0
    assert "translated by" in capsys.readouterr().out
    for path in files:
        image = read_input(path, None, None, 1)
        expected = to_uint8(zoo.load(export).translate(image[None])[0])
        written = _png(tmp_path / "out" / path.name)
        assert written.shape == expected.shape == (*image.shape[:2], 3)
        assert np.abs(written.astype(int) - expected).max() <= 1


def _translate_case(tmp_path: Path, case: str) -> list[str]:
    good = _write(tmp_path / "good.png", np.zeros((28, 28, 3), np.uint8))
    out = str(tmp_path / "out")
    if case == "missing":
        return ["cyclegan_mnist_restyle", str(tmp_path / "nope.jpg"), "--out", out]
    if case == "unreadable":
        (tmp_path / "text.png").write_text("not an image")
        return ["cyclegan_mnist_restyle", str(good), str(tmp_path / "text.png"), "--out", out]
    if case == "unreadable and a CMYK JPEG":
        from PIL import Image

        (tmp_path / "text.png").write_text("not an image")
        Image.new("CMYK", (28, 28)).save(tmp_path / "print.jpg", "JPEG")
        return ["cyclegan_mnist_restyle", str(tmp_path / "print.jpg"), str(good),
                str(tmp_path / "text.png"), "--out", out]
    if case == "unreadable after a batch":
        (tmp_path / "text.png").write_text("not an image")
        return ["cyclegan_mnist_restyle", str(good), str(tmp_path / "text.png"), "--out", out,
                "--batch-size", "1"]
    if case == "same stem":
        (tmp_path / "other").mkdir()
        _write(tmp_path / "other" / "good.jpg", np.zeros((8, 8, 3), np.uint8))
        return ["cyclegan_mnist_restyle", str(good), str(tmp_path / "other"), "--out", out]
    if case == "overwrite":
        return ["cyclegan_mnist_restyle", str(good), "--out", str(tmp_path)]
    if case == "not a translation model":
        return ["vae_mnist", str(good), "--out", out]
    if case == "unknown direction":
        return ["cyclegan_mnist_restyle", str(good), "--out", out, "--direction", "sideways"]
    return ["pix2pix_mnist_inpaint", str(good), "--out", out, "--direction", "a_to_b"]


@pytest.mark.parametrize("case, message", [
    ("missing", "nope.jpg does not exist"),
    ("unreadable", "text.png is not a readable JPEG or PNG image"),
    ("unreadable after a batch", "text.png is not a readable JPEG or PNG image"),
    ("same stem", "would both be written to good.png"),
    ("overwrite", "would overwrite the input"),
    ("not a translation model", "vae_mnist is a vae model, not a translation one: none of its "
                                "signatures (reconstruct, encode, decode, sample, score, "
                                "sample_png) takes only a batch of images and returns 'images'"),
    ("unknown direction", "--direction 'sideways' is not one of cyclegan_mnist_restyle's: "
                          "a_to_b, b_to_a."),
    ("direction for pix2pix", "pix2pix_mnist_inpaint translates one way (translate); drop "
                              "--direction a_to_b."),
])
def test_translate_errors_are_one_line_and_write_nothing(case, message, tmp_path, capsys):
    argv = _translate_case(tmp_path, case)
    before = sorted(tmp_path.rglob("*"))
    assert main(["translate", *argv]) == 2
    assert message in _one_error_line(capsys)
    assert sorted(tmp_path.rglob("*")) == before


def test_translate_names_every_unreadable_file_in_one_error(tmp_path, capsys):
    """As zoo score: every file is read before anything is written, so all the unreadable
    ones are named at once; a CMYK JPEG (which TensorFlow cannot decode) with the fix."""
    argv = _translate_case(tmp_path, "unreadable and a CMYK JPEG")
    assert main(["translate", *argv]) == 2
    line = _one_error_line(capsys)
    assert line.startswith("error: 2 of the 3 files do not read as images: "), line
    assert (f"{tmp_path / 'print.jpg'} (a CMYK JPEG: convert it to RGB); "
            f"{tmp_path / 'text.png'} (not a readable JPEG or PNG image). ") in line
    assert not (tmp_path / "out").exists()


def _model_server_config():
    """TF Serving's ModelServerConfig message (model_server_config.proto), the part a
    models.config file of plain models uses, to parse the command's output as the server does."""
    proto = descriptor_pb2.FileDescriptorProto(name="zoo_test_model_server_config.proto",
                                               package="tensorflow.serving")
    field = descriptor_pb2.FieldDescriptorProto
    model = proto.message_type.add(name="ModelConfig")
    for number, name in ((1, "name"), (2, "base_path"), (4, "model_platform")):
        model.field.add(name=name, number=number, type=field.TYPE_STRING,
                        label=field.LABEL_OPTIONAL)
    models = proto.message_type.add(name="ModelConfigList")
    models.field.add(name="config", number=1, type=field.TYPE_MESSAGE,
                     label=field.LABEL_REPEATED, type_name=".tensorflow.serving.ModelConfig")
    server = proto.message_type.add(name="ModelServerConfig")
    server.field.add(name="model_config_list", number=1, type=field.TYPE_MESSAGE,
                     label=field.LABEL_OPTIONAL, type_name=".tensorflow.serving.ModelConfigList")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return message_factory.GetMessageClass(
        pool.FindMessageTypeByName("tensorflow.serving.ModelServerConfig"))


def _served(text: str) -> dict[str, tuple[str, str]]:
    config = text_format.Parse(text, _model_server_config()())
    return {model.name: (model.base_path, model.model_platform)
            for model in config.model_config_list.config}


def test_serving_config_lists_every_exported_entry(trained, tmp_path, monkeypatch, capsys):
    shipped = REPO / "exported"
    assert main(["serving-config", "--exported", str(shipped), "--base-path", "/srv/models/"]) == 0
    exported = {path.name for path in shipped.iterdir() if versions(path)}
    assert len(exported) >= 4
    assert _served(capsys.readouterr().out) == {
        name: (f"/srv/models/{name}", "tensorflow") for name in exported}
    # By default, the first folder of the search order that holds exports.
    version = trained[1]
    folder = version.parent.parent
    (folder / "notes").mkdir(exist_ok=True)  # not an export
    monkeypatch.setenv(zoo.paths.EXPORTED_ENV, str(folder))
    assert main(["serving-config"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"# TF Serving models.config for the exports in {folder}, seen by the "
                          "server at /models\n")
    assert _served(out) == {"vae_mnist": ("/models/vae_mnist", "tensorflow")}
    assert main(["serving-config", "--exported", str(tmp_path)]) == 2
    assert f"No exports in {tmp_path}" in _one_error_line(capsys)


def _console(*args: str) -> subprocess.CompletedProcess:
    script = shutil.which("zoo", path=str(Path(sys.executable).parent))
    assert script, f"no zoo console script beside {sys.executable}; run `pip install -e .`"
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([script, *args], capture_output=True, text=True, timeout=120,
                          env=env, cwd=REPO)


def test_the_console_script_prints_results_without_tensorflow_log_lines():
    listed = _console("list")
    assert listed.returncode == 0 and listed.stderr == ""
    assert [line.split()[0] for line in listed.stdout.splitlines()] == list(ENTRIES)
    info = _console("info", "cyclegan_horse2zebra")
    assert info.returncode == 0, info.stderr
    assert info.stderr == ""
    assert re.search(r"^export: .*exported/cyclegan_horse2zebra/1 ", info.stdout, re.M)
    assert "  b_to_a: " in info.stdout and "horses_called_zebras: " in info.stdout
    loud = _console("info", "cyclegan_horse2zebra", "--verbose")
    assert loud.returncode == 0 and loud.stdout == info.stdout
    assert any(marker in loud.stderr for marker in LOG_MARKERS), loud.stderr


def test_the_console_script_reports_errors_in_one_line():
    result = _console("translate", "cyclegan_horse2zebra", "missing.jpg", "--out", "x")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: missing.jpg does not exist; pass image files (JPEG or PNG) or folders of them."]
