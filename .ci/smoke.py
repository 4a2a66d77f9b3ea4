"""Smoke test of an installed zoo: its Python API and `zoo` command, from outside the checkout.

Usage (what .ci/run does, by hand):

    python -m pip wheel --no-deps -w /tmp/wheel .
    python -m venv /tmp/venv && /tmp/venv/bin/pip install /tmp/wheel/zoo-*.whl
    cd /tmp && /tmp/venv/bin/python /path/to/checkout/.ci/smoke.py --wheel

`--wheel` also checks that zoo was imported from the installed wheel, not from a
checkout, and that the shipped exports were found inside the installed package.
Exits 1 with the first failed check; prints one line per check.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

CHECKOUT = Path(__file__).resolve().parent.parent
LOG_MARKERS = ("tensorflow/", "oneDNN", "absl::InitializeLog", "cuda", "cpu_feature_guard")
"""Pieces of TensorFlow's start-up and C++ log lines, which the command hides."""


def check(condition: bool, what: str) -> None:
    if not condition:
        sys.exit(f"smoke: FAILED: {what}")
    print(f"smoke: ok: {what}", flush=True)


def run_command(script: Path, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([str(script), *args], capture_output=True, text=True, timeout=300,
                          env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wheel", action="store_true",
                        help="require zoo and its exports to come from an installed wheel")
    args = parser.parse_args()
    check(not Path.cwd().resolve().is_relative_to(CHECKOUT),
          f"runs outside the checkout (in {Path.cwd()})")

    import zoo
    import zoo.paths
    from zoo.console import quiet_tensorflow
    from zoo.paths import PACKAGE_EXPORTS

    quiet_tensorflow()  # this script's own TensorFlow start-up lines, as the command hides them

    package = Path(zoo.__file__).resolve().parent
    if args.wheel:
        check(not package.is_relative_to(CHECKOUT), f"zoo imported from {package}")

    names = zoo.available()
    check({"vae_mnist", "dcgan_mnist", "pix2pix_facades", "cyclegan_horse2zebra"} <= set(names),
          f"zoo.available() lists {len(names)} entries")

    vae = zoo.load("vae_mnist")
    if args.wheel:
        check(vae.path.resolve().is_relative_to(PACKAGE_EXPORTS.resolve()),
              f"zoo.load('vae_mnist') found the installed copy {vae.path}")
    images = vae.sample(count=2, seed=0)
    check(images.shape == (2, 28, 28, 1) and 0.0 <= images.min() and images.max() <= 1.0,
          f"vae_mnist.sample(count=2, seed=0) gives images of shape {images.shape}")
    reconstructions = vae.reconstruct(images)
    check(reconstructions.shape == images.shape,
          f"vae_mnist.reconstruct gives shape {reconstructions.shape}")

    gan = zoo.build("dcgan_mnist")
    generated = gan.generate(np.zeros((3, gan.latent_dim), np.float32)).shape
    check(tuple(generated) == (3, 28, 28, 1),
          f"zoo.build('dcgan_mnist') generates images of shape {tuple(generated)}")

    script = shutil.which("zoo", path=str(Path(sys.executable).parent))
    check(script is not None, f"the zoo console script is installed beside {sys.executable}")
    listed = run_command(Path(script), "list")
    check(listed.returncode == 0 and all(f"{name} " in listed.stdout for name in names),
          "`zoo list` names every entry")
    info = run_command(Path(script), "info", "vae_mnist")
    check(info.returncode == 0 and str(vae.path) in info.stdout and "reconstruct" in info.stdout,
          "`zoo info vae_mnist` shows the export folder and its signatures")
    check("\ntrained with: zoo train vae_mnist --" in info.stdout,
          "`zoo info vae_mnist` shows the `zoo train` command that trained it")
    folders = run_command(Path(script), "info")
    shipped = PACKAGE_EXPORTS if args.wheel else zoo.paths.shipped_exports()
    check(folders.returncode == 0 and f"\nShipped exports: {shipped}\n" in folders.stdout,
          f"`zoo info` names the folder of the shipped exports, {shipped}")
    import tempfile

    import tensorflow as tf

    with tempfile.TemporaryDirectory() as scratch:
        inputs, out = Path(scratch) / "images", Path(scratch) / "scored"
        inputs.mkdir()
        for name, image in (("blank", np.zeros((28, 28, 1))), ("digit", images[0])):
            (inputs / f"{name}.png").write_bytes(tf.io.encode_png(
                np.round(np.asarray(image) * 255).astype(np.uint8)).numpy())
        scored = run_command(Path(script), "score", "vae_mnist", str(inputs), "--out", str(out))
        rows = (out / "scores.csv").read_text().splitlines() if scored.returncode == 0 else []
        check(scored.stdout == f"{out}\n" and len(rows) == 3
              and rows[1].startswith(f"{inputs / 'blank.png'},") and rows[1].endswith(",yes")
              and (out / "typical.png").is_file(),
              "`zoo score vae_mnist FOLDER --out DIR` writes scores.csv and typical.png, the blank "
              "page first and flagged" + (f" (got {scored.stderr.strip()[-300:]!r})"
                                          if scored.returncode else ""))
    noise = [line for result in (listed, info, folders, scored)
             for line in result.stderr.splitlines()
             if any(marker in line for marker in LOG_MARKERS)]
    check(not noise, "the command prints no TensorFlow log lines" + (
        f" (got {noise[0]!r})" if noise else ""))
    print("smoke: all checks passed")


if __name__ == "__main__":
    main()
