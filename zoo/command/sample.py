"""`zoo sample`: images drawn from an export's `sample` signature, as one PNG or JPEG grid."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Sequence

import numpy as np

import zoo
from zoo.command.common import DefaultsFormatter, bounded_int, start_tensorflow
from zoo.console import plural, progress
from zoo.errors import ConfigurationError
from zoo.images import IMAGE_FORMATS, save_image, tile
from zoo.paths import model_argument, nearest_existing
from zoo.signatures import TensorInput

DEFAULT_COUNT = 64
DEFAULT_PER_CLASS = 10
SETTINGS = ("steps", "eta")
"""Inputs of a `sample` signature that flags of the same name set, when the signature has them."""


def add_parser(commands: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]
               ) -> None:
    """Adds `sample` to the command's subparsers."""
    parser = commands.add_parser(
        "sample", parents=parents, formatter_class=DefaultsFormatter,
        help="draw images from an exported model into a PNG or JPEG grid")
    parser.add_argument("model", metavar="ENTRY",
                        help="entry name (e.g. vae_mnist) or export directory")
    parser.add_argument("--count", type=bounded_int("--count", 1), default=None,
                        help=f"images to draw (default {DEFAULT_COUNT}); for a class-conditional "
                             f"model without --label, images per class (default "
                             f"{DEFAULT_PER_CLASS}), one row per class")
    parser.add_argument("--label", type=int, default=None,
                        help="class to draw, for class-conditional models such as cgan_mnist "
                             "(default: one row per class)")
    parser.add_argument("--seed", type=bounded_int("--seed", -2**63, 2**63 - 1), default=0,
                        help="the same seed gives the same images")
    parser.add_argument("--steps", type=bounded_int("--steps", 1), default=None,
                        help="sampling steps, for models that sample in steps such as "
                             "ddim_mnist (default: the model's)")
    parser.add_argument("--eta", type=float, default=None,
                        help="DDIM's eta, from 0 (deterministic given the seed) to 1 "
                             "(DDPM-like), for models that take it (default: the model's)")
    parser.add_argument("--version", type=int, default=None,
                        help="export version (default: newest)")
    parser.add_argument("--out", type=Path, default=None,
                        help="the grid's file: PNG, or JPEG for a .jpg or .jpeg name (default: "
                             "<model>_samples.png)")
    parser.set_defaults(run=run)


def _draw(model: Any, count: int | None, seed: int, label: int | None,
          settings: dict[str, Any] | None = None) -> tuple[np.ndarray, int]:
    """The images of the grid and its number of columns, from the export's `sample` signature.
    `settings` are the other flags the signature may take (`steps`, `eta`), None where not
    given; a given one the signature does not take is refused."""
    declaration = model.signatures.get("sample")
    if declaration is None:
        raise ConfigurationError(f"{model.name} has no sample signature (it has: "
                                 f"{', '.join(model.signatures)}); nothing to draw from.")
    settings = {name: value for name, value in (settings or {}).items() if value is not None}
    inputs = {spec.name: spec for spec in declaration.inputs}
    passable = {"count", "seed", "label", *SETTINGS}
    extra = {name for name, spec in inputs.items()
             if name not in passable and spec.default is None}
    if extra:
        raise ConfigurationError(f"{model.name}'s sample needs {', '.join(sorted(extra))}, "
                                 "which this command cannot pass.")
    if "label" not in inputs and label is not None:
        raise ConfigurationError(f"{model.name} is not class-conditional; drop --label.")
    for name in settings:
        if name not in inputs:
            raise ConfigurationError(f"{model.name}'s sample takes no {name}; drop --{name}.")
    row_per_class = "label" in inputs and label is None
    count = (DEFAULT_PER_CLASS if row_per_class else DEFAULT_COUNT) if count is None else count
    given = {"count": count, "seed": seed, "label": label, **settings}
    for name, spec in inputs.items():
        if given.get(name) is not None:
            _check_flag(model.name, spec, given[name])
    if not row_per_class:
        extras = {} if label is None else {"label": label}
        return model.sample(count=count, seed=seed, **extras, **settings), 0
    classes = range(int(inputs["label"].minimum), int(inputs["label"].maximum) + 1)
    rows = []
    for each in classes:
        rows.append(model.sample(count=count, seed=seed, label=each, **settings))
        progress(f"drew class {each} ({len(rows)}/{len(classes)} rows)")
    return np.concatenate(rows), count


def _check_flag(name: str, spec: TensorInput, value: float) -> None:
    """Refuses the value of the flag named after `spec` (`--count` for `count`) when it is
    outside the range the export of model `name` declares, naming the flag and that range."""
    low, high = spec.minimum, spec.maximum
    if (low is None or value >= low) and (high is None or value <= high):
        return
    low, high = (None if bound is None else int(bound) if float(bound).is_integer() else bound
                 for bound in (low, high))
    bounds = (f"at least {low}" if high is None else f"at most {high}" if low is None
              else f"{low} to {high}")
    raise ConfigurationError(f"--{spec.name} must be {bounds} for {name}; got {value}.")


def _either(suffixes: Sequence[str]) -> str:
    """`*.png, *.jpg or *.jpeg`."""
    names = [f"*{suffix}" for suffix in suffixes]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def run(args: argparse.Namespace) -> None:
    """Draws the grid and writes it to `--out`."""
    # The file name first: a grid drawn for nothing is minutes lost for a large model.
    if args.out is not None and args.out.suffix.lower() not in IMAGE_FORMATS:
        raise ConfigurationError(f"--out {args.out}: the grid is written as PNG or JPEG; "
                                 f"name the file {_either(IMAGE_FORMATS)}.")
    if args.out is not None:
        folder = nearest_existing(args.out.absolute().parent)
        if not folder.is_dir():
            raise ConfigurationError(f"cannot write --out {args.out}: {folder} is a file, not a "
                                     "folder; choose another --out.")
    start_tensorflow(args.verbose)
    model = zoo.load(model_argument(args.model), args.version)
    images, columns = _draw(model, args.count, args.seed, args.label,
                            {name: getattr(args, name) for name in SETTINGS})
    out = args.out or Path(f"{model.name}_samples.png")
    try:
        save_image(out, tile(images, columns or None))
    except OSError as error:
        raise ConfigurationError(f"cannot write {out}: {error.strerror or error}.") from error
    print(f"wrote {plural(len(images), 'sample')} of {model.path} to {out}")
