"""Command line: `python -m zoo list` and `python -m zoo sample NAME --out FILE.png`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

import zoo
from zoo.images import save_png, tile


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m zoo", description=zoo.__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the zoo's entries with a line on each")
    sample = commands.add_parser(
        "sample", help="draw images from an exported model into a PNG grid",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    sample.add_argument("model", help="entry name (e.g. vae_mnist) or export directory")
    sample.add_argument("--count", type=int, default=64, help="images to draw")
    sample.add_argument("--seed", type=int, default=0, help="the same seed gives the same images")
    sample.add_argument("--version", type=int, default=None, help="export version (default: newest)")
    sample.add_argument("--out", type=Path, default=None, help="PNG path (default: <model>_samples.png)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "list":
        for name, description in zoo.available().items():
            print(f"{name:<24} {description}")
        return 0
    try:
        model = zoo.load(Path(args.model) if os.sep in args.model else args.model, args.version)
        images = model.sample(count=args.count, seed=args.seed)
    except (ValueError, FileNotFoundError, AttributeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out = args.out or Path(f"{model.name}_samples.png")
    save_png(out, tile(images))
    print(f"wrote {len(images)} samples of {model.path} to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
