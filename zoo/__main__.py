"""Command line: `python -m zoo list` and `python -m zoo sample NAME --out FILE.png`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Sequence

import numpy as np

import zoo
from zoo.errors import ConfigurationError, ZooError
from zoo.images import save_png, tile

DEFAULT_COUNT = 64
DEFAULT_PER_CLASS = 10


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m zoo", description=zoo.__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the zoo's entries with a line on each")
    sample = commands.add_parser(
        "sample", help="draw images from an exported model into a PNG grid",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    sample.add_argument("model", help="entry name (e.g. vae_mnist) or export directory")
    sample.add_argument("--count", type=int, default=None,
                        help=f"images to draw (default {DEFAULT_COUNT}); for a class-conditional "
                             f"model without --label, images per class (default "
                             f"{DEFAULT_PER_CLASS}), one row per class")
    sample.add_argument("--label", type=int, default=None,
                        help="class to draw, for class-conditional models such as cgan_mnist "
                             "(default: one row per class)")
    sample.add_argument("--seed", type=int, default=0, help="the same seed gives the same images")
    sample.add_argument("--version", type=int, default=None, help="export version (default: newest)")
    sample.add_argument("--out", type=Path, default=None, help="PNG path (default: <model>_samples.png)")
    return parser


def _draw(model: Any, count: int | None, seed: int, label: int | None) -> tuple[np.ndarray, int]:
    """The images of the grid and its number of columns, from the export's `sample` signature."""
    declaration = model.signatures.get("sample")
    if declaration is None:
        raise ConfigurationError(f"{model.name} has no sample signature (it has: "
                                 f"{', '.join(model.signatures)}); nothing to draw from.")
    inputs = {spec.name: spec for spec in declaration.inputs}
    extra = set(inputs) - {"count", "seed", "label"}
    if extra:
        raise ConfigurationError(f"{model.name}'s sample needs {', '.join(sorted(extra))}, "
                                 "which this command cannot pass.")
    if "label" not in inputs:
        if label is not None:
            raise ConfigurationError(f"{model.name} is not class-conditional; drop --label.")
        count = DEFAULT_COUNT if count is None else count
        return model.sample(count=count, seed=seed), 0
    if label is not None:
        count = DEFAULT_COUNT if count is None else count
        return model.sample(count=count, seed=seed, label=label), 0
    per_class = DEFAULT_PER_CLASS if count is None else count
    classes = range(int(inputs["label"].minimum), int(inputs["label"].maximum) + 1)
    rows = [model.sample(count=per_class, seed=seed, label=each) for each in classes]
    return np.concatenate(rows), per_class


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "list":
        for name, description in zoo.available().items():
            print(f"{name:<24} {description}")
        return 0
    try:
        model = zoo.load(Path(args.model) if os.sep in args.model else args.model, args.version)
        images, columns = _draw(model, args.count, args.seed, args.label)
        out = args.out or Path(f"{model.name}_samples.png")
        try:
            save_png(out, tile(images, columns or None))
        except OSError as error:
            raise ConfigurationError(f"cannot write {out}: {error.strerror or error}.") from error
    except ZooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {len(images)} samples of {model.path} to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
