"""The flags every recipe takes, with defaults read from the entry."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Sequence

from zoo.data.sources import has_labels
from zoo.families import get_family
from zoo.paths import EXPORTED_ENV
from zoo.precision import PRECISIONS
from zoo.registry import Entry
from zoo.runtime.distribute import STRATEGIES

JIT_CHOICES = ("auto", "on", "off")


class RecipeParser(argparse.ArgumentParser):
    """argparse whose usage errors are one `error: ...` line (exit status 2), as the zoo's
    other errors are, instead of the usage block followed by the error."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see `{self.prog} --help`).\n")


class _HelpFormatter(argparse.HelpFormatter):
    """Adds `(default: X)` to a flag's help, unless the help already says what the default is
    or there is none to show."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (action.default is None or action.default is False
                or action.default == argparse.SUPPRESS or "default:" in text):
            return text
        return f"{text} (default: %(default)s)"


def _positive(kind: type, name: str):
    noun = "an integer" if kind is int else "a number"

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be {noun}; got {text!r}")
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{name} must be a finite number; got {text}")
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{name} must be positive; got {text}")
        return value
    return parse


def _non_negative_float(name: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number; got {text!r}")
        if not math.isfinite(value) or value < 0:
            raise argparse.ArgumentTypeError(f"{name} must be a finite number >= 0; got {text}")
        return value
    return parse


def _non_negative_int(name: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer; got {text!r}")
        if value < 0:
            raise argparse.ArgumentTypeError(f"{name} must be non-negative; got {text}")
        return value
    return parse


def _refused(message: str):
    def parse(text: str):
        raise argparse.ArgumentTypeError(message)
    return parse


def build_parser(entry: Entry, prog: str | None = None) -> argparse.ArgumentParser:
    """The recipe's argument parser; `--help` documents each flag with its default.

    Args:
        entry: the zoo entry the flags train.
        prog: the command shown in usage and help; default `python recipes/<entry>.py`
            (`zoo train <entry>` passes its own).
    """
    parser = RecipeParser(
        prog=prog or f"python recipes/{entry.name}.py",
        description=f"Train, checkpoint and export the zoo entry {entry.name}: {entry.description}",
        formatter_class=_HelpFormatter,
        epilog="Rerunning with the same --out resumes from the last checkpoint (saved at the end "
               "of every epoch); a finished run is not retrained, but a larger --epochs trains "
               "it on where its learning rates are constant. Progress goes to stderr; stdout "
               "gets the export folder alone.")
    parser.add_argument("--epochs", type=_positive(int, "--epochs"), default=entry.epochs,
                        help="total epochs to train (a resumed or finished run trains up to this "
                             "many, unless its learning rates decay over --epochs)")
    parser.add_argument("--batch-size", type=_positive(int, "--batch-size"),
                        default=entry.batch_size,
                        help="global batch size, split evenly across replicas")
    rates = ", ".join(f"{name.replace('_optimizer', '') or name} {spec.learning_rate:g}"
                      for name, spec in entry.optimizers.items())
    parser.add_argument("--learning-rate", type=_positive(float, "--learning-rate"),
                        default=None,
                        help=f"initial learning rate of every network (default: each network's "
                             f"own: {rates}; schedule: {_schedule_words(entry)})")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help=("any folder of your own pictures (JPEG, PNG or BMP, subfolders "
                              "included; split as 'all'), or tensorflow-datasets' data_dir "
                              "holding oxford_flowers102; default: tensorflow-datasets' own "
                              "folder"
                              if entry.data.dataset == "flowers" else
                              f"folder with the data set: tensorflow-datasets' data_dir for "
                              f"{entry.data.dataset!r}, or a folder of its raw files (MNIST IDX "
                              "*-idx3-ubyte.gz / *-idx1-ubyte.gz; an image folder for the "
                              "translation entries); default: tensorflow-datasets' own folder "
                              "or the authors' download"))
    parser.add_argument("--train-split", default=entry.data.train_split,
                        help="split to train on, in tensorflow-datasets syntax (default: "
                             "%(default)s)")
    parser.add_argument("--validation-split", default=entry.data.validation_split,
                        help="held-out split evaluated after every epoch ('none' to skip); it "
                             "must not overlap --train-split")
    parser.add_argument("--out", type=Path, default=Path("runs") / entry.name,
                        help="run directory for checkpoints, TensorBoard logs and sample images; "
                             "written only by the recipe")
    parser.add_argument("--export-dir", type=Path, default=None,
                        help=f"exported-models folder; the model goes to <export-dir>/{entry.name}"
                             f"/<next version>/ (default: ${EXPORTED_ENV}, else ./exported)")
    parser.add_argument("--seed", type=_non_negative_int("--seed"), default=0,
                        help="seed of weight initialisation, shuffling and sampling noise")
    parser.add_argument("--strategy", choices=STRATEGIES, default="auto",
                        help="tf.distribute strategy: auto picks multi-worker when TF_CONFIG "
                             "names several workers, mirrored with more than one GPU, else default")
    parser.add_argument("--steps-per-epoch", type=_positive(int, "--steps-per-epoch"),
                        default=None, help="batches per epoch (default: one pass over the data)")
    if has_labels(entry.data.dataset):
        parser.add_argument("--normal-class", type=_non_negative_int("--normal-class"),
                            default=None, metavar="C",
                            help=f"train only on the examples of {entry.data.dataset!r} labelled "
                                 "C, and hold out only those: one-class training, the normal "
                                 "class of outlier detection (default: every class)")
    else:
        # Not offered (left out of --help), but named when given: the data set has no labels.
        parser.add_argument("--normal-class", type=_refused(
            f"--normal-class does not apply to {entry.name}: its data set "
            f"{entry.data.dataset!r} has no class labels"), default=None, help=argparse.SUPPRESS)
    choices = get_family(entry.family).choices
    for key in entry.flags:
        flag = f"--{key.replace('_', '-')}"
        default = entry.model_config[key]
        if isinstance(default, str):
            parser.add_argument(flag, choices=choices[key], default=default,
                                help=f"the model's {key} (a model config value)")
            continue
        kind = _positive(int, flag) if isinstance(default, int) else _non_negative_float(flag)
        parser.add_argument(flag, type=kind, default=default,
                            help=f"the model's {key} (a model config value)")
    parser.add_argument("--jit-compile", choices=JIT_CHOICES, default="auto",
                        help="XLA-compile the train step; auto: on with a GPU, off on CPU "
                             "(where XLA is slower for these conv nets)")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto",
                        help="training precision; auto: mixed_float16 with a GPU, mixed_bfloat16 "
                             "on a CPU with bfloat16 instructions (avx512_bf16, amx_bf16), else "
                             "float32. Losses, scores and outputs stay float32 and exports serve "
                             "float32; a resumed run keeps the precision it started with")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show TensorFlow's start-up and C++ log lines and its Python "
                             "warnings (hidden by default)")
    return parser


def parse_args(entry: Entry, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parses recipe flags; bad values exit with a usage message naming the flag."""
    return build_parser(entry).parse_args(argv)


def _schedule_words(entry: Entry) -> str:
    """The entry's schedule as --help shows it: name, warm-up and weight average."""
    words = [entry.schedule]
    if entry.warmup_steps:
        words.append(f"after a linear warm-up of {entry.warmup_steps} steps")
    decay = entry.ema_decay if entry.ema_decay is not None else get_family(entry.family).ema_decay
    if decay is not None:
        words.append(f"exporting a moving average of the weights (decay {decay:g})")
    return ", ".join(words)
