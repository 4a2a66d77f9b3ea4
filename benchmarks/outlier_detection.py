"""Outlier detection measured against published tables: one-class MNIST, out-of-distribution
sets, and the codes of autoencoders (`zoo.evaluation.outliers`). Run from the repository root:

    python benchmarks/outlier_detection.py one-class --work-dir /tmp/outliers
    python benchmarks/outlier_detection.py ood --models ae_mnist vae_mnist
    python benchmarks/outlier_detection.py codes --work-dir /tmp/outliers

one-class: Ruff et al. 2018's protocol. For each digit c (`--classes`) and seed (`--seeds`),
each entry (`--entries`, default the autoencoder and the VAE) trains through its recipe's
runtime on the digit-c images of `--train-split` alone (`--normal-class c`), then scores every
image of `--test-split`; the AUROC of each score has the other nine digits as anomalies. Every
output of the export's `score` signature is reported by name, and the VAE's importance-weighted
NLL with `--k` samples. The table gives each digit's mean and standard deviation over seeds,
the mean over digits, and Ruff et al.'s Deep SVDD row beside. Ruff et al. train on the ~6,000
training images of a digit; MNIST's training split is not available here, so these models
train on the ~800 of test[:8000] and are scored on the 2,000 images of test[8000:].

ood: models trained on every digit (the shipped exports by default) score the held-out digits
and sets of images that are not digits, simple ones (constant, smooth, regular) among them
(`zoo.evaluation.outliers.out_of_distribution_sets`); the AUROC has the non-digits as
anomalies, per set and score.

codes: each entry trains on every digit of --train-split with codes of each size
(`--code-sizes`, the entry's `--code-dim` or `--latent-dim`); on --test-split the table gives
the reconstruction error and the accuracy of a linear classifier (multinomial logistic
regression) fitted to the codes of --train-split.

Runs, exports and each run's scores are kept under `--work-dir`, so a second invocation with
the same settings reuses them (and an interrupted one resumes); a one-class run whose family's
`score` has changed since is not trained again but scored again, its export rewritten with the
family's current signatures. Progress goes to stderr; the
table, as Markdown, to stdout; `--json FILE` stores the figures, `--record` writes them into
the zoo.json `evaluation` of each entry's export in the exported folder. Real MNIST is read
from `--data-dir` (default ../shared/data/mnist, the IDX files of its test split).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from zoo.console import VERBOSE_HELP, quiet_script

# Before the imports below load TensorFlow: its start-up lines hidden unless --verbose
# (so they follow a call, which E402 would flag).
# ruff: noqa: E402
quiet_script()

import numpy as np

import zoo
from zoo.console import plural, progress
from zoo.data import load_mnist
from zoo.data.sources import has_labels
from zoo.errors import ConfigurationError, ZooError
from zoo.evaluation.outliers import (COMPLEX_SETS, IW_NLL, REFERENCE_MEANS, RUFF_DEEP_SVDD,
                                     SIMPLE_SETS, auroc, codes, declared_score_outputs,
                                     linear_probe_accuracy, with_current_signatures,
                                     markdown_table, mean_and_spread, one_class_aurocs,
                                     out_of_distribution_sets, reconstruction_errors, scores,
                                     train_model, unit_images)
from zoo.export import record_evaluation
from zoo.images import tile
from zoo.paths import model_argument
from zoo.registry import ENTRIES

MODELS = tuple(name for name in ("ae_mnist", "vae_mnist") if name in ENTRIES)
"""The entries measured by default: the autoencoder and the VAE."""
CODE_FLAGS = ("code_dim", "latent_dim")
"""The model flag that sets an entry's code size (`--code-dim`, `--latent-dim`)."""
DIGITS = tuple(range(10))


class Parser(argparse.ArgumentParser):
    """Usage errors are one `error: ...` line (exit status 2)."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see `{self.prog} --help`).\n")


def _positive(name: str, minimum: int = 1) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer; got {text!r}")
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{name} must be at least {minimum}; got {value}")
        return value
    return parse


def _steps(text: str) -> int | None:
    return None if text == "none" else _positive("--steps-per-epoch")(text)


def _classes(text: str) -> list[int]:
    """`0-9`, `3` or `0,2,5` -> digits."""
    digits: list[int] = []
    try:
        for part in text.split(","):
            low, _, high = part.partition("-")
            digits += range(int(low), int(high or low) + 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--classes takes digits such as 0-9, 3 or 0,2,5; got "
                                         f"{text!r}")
    if not digits or not set(digits) <= set(DIGITS):
        raise argparse.ArgumentTypeError(f"--classes must name digits 0 to 9; got {text!r}")
    return sorted(set(digits))


class _Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The description as written (its example commands on their own lines), the defaults
    after each flag's help."""


def _paragraphs(start: str, count: int = 1) -> str:
    """`count` paragraphs of the module's docstring, from the one that starts with `start`."""
    paragraphs = __doc__.strip().split("\n\n")
    first = next(index for index, text in enumerate(paragraphs) if text.startswith(start))
    return "\n\n".join(paragraphs[first:first + count])


def _common(parser: argparse.ArgumentParser, k: int | None) -> None:
    """The flags every task takes; `--k` for a task that scores (k None: one that does not)."""
    parser.add_argument("--data-dir", default="../shared/data/mnist",
                        help="MNIST IDX folder or tensorflow-datasets data_dir")
    if k is not None:
        parser.add_argument("--k", type=_positive("--k", 0), default=k,
                            help="importance samples per image of the importance-weighted NLL, "
                                 "for models that have one; 0 leaves it out")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to FILE")
    parser.add_argument("--record", action="store_true",
                        help="record the figures in the zoo.json `evaluation` of each entry's "
                             "export in the exported folder")
    # Also after the task (read by quiet_script() from the command line).
    parser.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help=VERBOSE_HELP)


def _training(parser: argparse.ArgumentParser, epochs: int, batch_size: int,
              steps_per_epoch: int | None) -> None:
    parser.add_argument("--entries", nargs="+", default=list(MODELS), metavar="ENTRY",
                        help="entries to train and measure")
    parser.add_argument("--train-split", default="test[:8000]", help="split the models train on")
    parser.add_argument("--test-split", default="test[8000:]",
                        help="split the models are measured on (also their --validation-split)")
    parser.add_argument("--epochs", type=_positive("--epochs"), default=epochs,
                        help="epochs of each training run")
    parser.add_argument("--batch-size", type=_positive("--batch-size"), default=batch_size,
                        help="batch size of each training run")
    parser.add_argument("--steps-per-epoch", type=_steps, default=steps_per_epoch,
                        help="batches per epoch; 'none' for one pass over the training images")
    parser.add_argument("--work-dir", type=Path, default=Path("runs") / "outlier_detection",
                        help="folder of the training runs, their exports and their scores")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = Parser(prog="python benchmarks/outlier_detection.py",
                    description=_paragraphs("Outlier detection", 2),
                    epilog=_paragraphs("Runs, exports") + "\n\n`python benchmarks/"
                           "outlier_detection.py TASK --help` describes each task.",
                    formatter_class=_Formatter)
    # Read by quiet_script() from the command line, before the parser runs.
    parser.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help=VERBOSE_HELP)
    tasks = parser.add_subparsers(dest="task", required=True, metavar="TASK",
                                  parser_class=Parser)
    one_class = tasks.add_parser("one-class", help="one-class MNIST (Ruff et al. 2018)",
                                 description=_paragraphs("one-class:"),
                                 formatter_class=_Formatter)
    # 500 steps of 32 (about 20 passes over a digit's ~800 images): about a minute per run on
    # a shared 2-core CPU (docs/benchmarks.md).
    _common(one_class, k=10)
    _training(one_class, epochs=5, batch_size=32, steps_per_epoch=100)
    one_class.add_argument("--classes", type=_classes, default=list(DIGITS),
                           help="normal classes, e.g. 0-9, 3 or 0,2,5")
    one_class.add_argument("--seeds", type=_positive("--seeds"), default=3,
                           help="training runs per class and entry, seeds 0 to N-1")
    ood = tasks.add_parser("ood", help="held-out digits against images that are not digits",
                           description=_paragraphs("ood:"), formatter_class=_Formatter)
    _common(ood, k=50)
    ood.add_argument("--models", nargs="+", default=list(MODELS), metavar="MODEL",
                     help="exports to measure: entry names or export folders")
    ood.add_argument("--split", default="test[8000:]", help="held-out digits")
    ood.add_argument("--count", type=_positive("--count"), default=500,
                     help="images of each out-of-distribution set")
    ood.add_argument("--seed", type=_positive("--seed", 0), default=0,
                     help="seed of the generated sets")
    ood.add_argument("--picture", type=Path, default=None,
                     help="write a PNG of the digits and of each set, one row each")
    code = tasks.add_parser("codes", help="reconstruction and linear separability by code size",
                            description=_paragraphs("codes:"), formatter_class=_Formatter)
    _common(code, k=None)  # nothing is scored: no importance samples
    _training(code, epochs=10, batch_size=128, steps_per_epoch=None)
    code.add_argument("--code-sizes", nargs="+", type=_positive("--code-sizes"),
                      default=[2, 8, 16, 32], metavar="N", help="code sizes to train")
    code.add_argument("--seed", type=_positive("--seed", 0), default=0,
                      help="seed of the training runs")
    args = parser.parse_args(argv)
    for name in getattr(args, "entries", ()):
        if name not in ENTRIES:
            parser.error(f"unknown entry {name!r}; known: {', '.join(ENTRIES)}")
        if args.task == "one-class" and not has_labels(ENTRIES[name].data.dataset):
            parser.error(f"{name} cannot train on one class: its data set "
                         f"{ENTRIES[name].data.dataset!r} has no labels")
        if args.task == "codes" and not set(CODE_FLAGS) & set(ENTRIES[name].flags):
            parser.error(f"{name} takes no code size flag (--code-dim or --latent-dim)")
    return args


def _training_flags(args: argparse.Namespace, seed: int) -> list[str]:
    # The folder resolved, so that the runs and their cached scores do not depend on the
    # folder the benchmark is started from.
    flags = ["--data-dir", str(Path(args.data_dir).resolve()), "--train-split", args.train_split,
             "--validation-split", args.test_split, "--epochs", str(args.epochs),
             "--batch-size", str(args.batch_size), "--seed", str(seed)]
    if args.steps_per_epoch:
        flags += ["--steps-per-epoch", str(args.steps_per_epoch)]
    return flags


def _cached(folder: Path, settings: dict[str, Any], compute: Callable[[], dict[str, Any]]
            ) -> dict[str, Any]:
    """A run's figures: those stored in `folder/result.json` by a run with the same settings,
    else `compute()`, stored there."""
    path = folder / "result.json"
    if path.is_file():
        stored = json.loads(path.read_text())
        if stored.get("settings") == settings:
            return stored
    result = {"settings": settings, **compute()}
    path.write_text(json.dumps(result, indent=1) + "\n")
    return result


def _percent(values: Sequence[float]) -> str:
    mean, spread = mean_and_spread([100 * value for value in values])
    return f"{mean:.1f}" if len(values) == 1 else f"{mean:.1f} ± {spread:.1f}"


def _column(entry: str, score: str, k: int) -> str:
    return f"{entry} {score}" + (f" (k={k})" if score == IW_NLL else "")


def one_class(args: argparse.Namespace) -> dict[str, Any]:
    images, labels = load_mnist(args.test_split, args.data_dir)
    images = unit_images(images)
    _, train_labels = load_mnist(args.train_split, args.data_dir)
    seeds = list(range(args.seeds))
    runs = len(seeds) * len(args.classes) * len(args.entries)
    progress(f"one-class MNIST: {plural(runs, 'training run')} ({', '.join(args.entries)}; "
             f"digits {', '.join(map(str, args.classes))}; seeds 0 to {seeds[-1]}), "
             f"{args.epochs} epochs at batch {args.batch_size}, each scoring "
             f"{len(images)} images of {args.test_split}")
    score_outputs = {entry: declared_score_outputs(entry) for entry in args.entries}
    # figures[column][digit] = AUROC of each seed
    figures: dict[str, dict[int, list[float]]] = {}
    timings, started, done = [], time.perf_counter(), 0
    for seed in seeds:
        for digit in args.classes:
            for entry in args.entries:
                folder = args.work_dir / "one_class" / f"{entry}-class{digit}-seed{seed}"
                flags = _training_flags(args, seed) + ["--normal-class", str(digit)]
                # The family's score outputs are settings too: a run cached before its family's
                # score changed is scored again, its export rewritten (with_current_signatures).
                settings = {"entry": entry, "flags": flags, "test_split": args.test_split,
                            "k": args.k, "score_outputs": score_outputs[entry]}

                def compute() -> dict[str, Any]:
                    start = time.perf_counter()
                    version = with_current_signatures(
                        train_model(entry, folder / "run", folder / "exported", flags))
                    trained = time.perf_counter()
                    exported = zoo.load(version)
                    aurocs = one_class_aurocs(scores(exported, images, args.k), labels, digit)
                    return {"export": str(version), "aurocs": aurocs,
                            "train_seconds": round(trained - start, 1),
                            "score_seconds": round(time.perf_counter() - trained, 1)}

                folder.mkdir(parents=True, exist_ok=True)
                result = _cached(folder, settings, compute)
                timings.append(result["train_seconds"] + result["score_seconds"])
                done += 1
                for score, value in result["aurocs"].items():
                    figures.setdefault(_column(entry, score, args.k), {}).setdefault(
                        digit, []).append(value)
                elapsed = time.perf_counter() - started
                progress(f"{done}/{runs} digit {digit} seed {seed} {entry}: " + ", ".join(
                    f"{score} {100 * value:.1f}" for score, value in result["aurocs"].items())
                    + f" (trained {result['train_seconds']:.0f} s, scored "
                      f"{result['score_seconds']:.0f} s; {elapsed / 60:.1f} min so far)")
    counts = {digit: int(np.sum(train_labels == digit)) for digit in args.classes}
    per_class = {column: {digit: {"mean": mean_and_spread(values)[0],
                                  "std": mean_and_spread(values)[1], "seeds": values}
                          for digit, values in by_digit.items()}
                 for column, by_digit in figures.items()}
    # The mean over digits, for each seed; its spread is over seeds.
    means = {column: [float(np.mean([by_digit[digit][index] for digit in args.classes]))
                      for index in range(len(seeds))] for column, by_digit in figures.items()}
    mean = {column: {"mean": mean_and_spread(values)[0], "std": mean_and_spread(values)[1],
                     "seeds": values} for column, values in means.items()}
    best = max(mean, key=lambda column: mean[column]["mean"])
    return {"task": "one-class", "entries": args.entries, "classes": args.classes,
            "seeds": seeds, "epochs": args.epochs, "batch_size": args.batch_size,
            "steps_per_epoch": args.steps_per_epoch, "k": args.k,
            "train_split": args.train_split, "test_split": args.test_split,
            "data_dir": str(args.data_dir), "train_examples": counts,
            "test_examples": int(len(images)), "per_class": per_class, "mean": mean,
            "best": {"score": best, "mean": mean[best]["mean"]},
            "reference_means": dict(REFERENCE_MEANS),
            "deep_svdd": dict(zip(DIGITS, RUFF_DEEP_SVDD)),
            "seconds_of_runs": round(float(np.sum(timings)), 1),
            "seconds": round(time.perf_counter() - started, 1)}


def one_class_table(figures: dict[str, Any]) -> str:
    columns = list(figures["per_class"])
    rows = [[digit] + [_percent(figures["per_class"][column][digit]["seeds"])
                       for column in columns] + [f"{RUFF_DEEP_SVDD[digit]:.1f}"]
            for digit in figures["classes"]]
    svdd = np.mean([RUFF_DEEP_SVDD[digit] for digit in figures["classes"]])
    rows.append(["mean"] + [_percent(figures["mean"][column]["seeds"]) for column in columns]
                + [f"{svdd:.1f}"])
    counts = figures["train_examples"]
    seeds = len(figures["seeds"])
    runs = seeds * len(figures["classes"]) * len(figures["entries"])
    lines = [
        f"One-class MNIST, AUROC % (the other digits are the anomalies), "
        f"{'mean ± standard deviation over ' + plural(seeds, 'seed') if seeds > 1 else 'one seed'}"
        f"; each model trained on the {min(counts.values())}-{max(counts.values())} images of "
        f"its digit in {figures['train_split']} ({figures['epochs']} epochs, batch "
        f"{figures['batch_size']}) and scored on the {figures['test_examples']} images of "
        f"{figures['test_split']}. Ruff et al. train on the ~6,000 images of each digit in "
        f"MNIST's training split and test on its 10,000 test images.", "",
        markdown_table(["digit", *columns, "Deep SVDD (Ruff et al. 2018)"], rows), "",
        "Published means on the same protocol: " + ", ".join(
            f"{name} {value:.1f}" for name, value in REFERENCE_MEANS) + ".",
        f"Best score here: {figures['best']['score']}, mean {100 * figures['best']['mean']:.1f} "
        f"(target: Deep SVDD's {REFERENCE_MEANS[0][1]}).",
        f"{plural(runs, 'run')} took {figures['seconds_of_runs'] / 60:.1f} min of training and "
        "scoring."]
    return "\n".join(lines)


def ood(args: argparse.Namespace) -> dict[str, Any]:
    digits = unit_images(load_mnist(args.split, args.data_dir)[0])
    sets = out_of_distribution_sets(digits, args.count, args.seed)
    if args.picture:
        rows = [digits[:8]] + [images[:8] for images in sets.values()]
        picture = tile(np.concatenate(rows), columns=8)
        _write_png(args.picture, picture)
        progress(f"wrote {args.picture}: the digits, then one row per set ({', '.join(sets)})")
    figures: dict[str, dict[str, float]] = {}
    models = {}
    loaded = {model: zoo.load(model_argument(model)) for model in dict.fromkeys(args.models)}
    names = [exported.name for exported in loaded.values()]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated and args.record:
        raise ConfigurationError(f"--record writes into each entry's export, but --models names "
                                 f"several exports of {', '.join(repeated)}; record one at a "
                                 "time.")
    for model, exported in loaded.items():
        models[model] = str(exported.path)
        # Two exports of one entry are told apart by the model argument that names each.
        label = model if exported.name in repeated else exported.name
        start = time.perf_counter()
        normal = scores(exported, digits, args.k)
        for name, images in sets.items():
            anomalous = scores(exported, images, args.k)
            for score, values in normal.items():
                figures.setdefault(_column(label, score, args.k), {})[name] = auroc(
                    values, anomalous[score])
        progress(f"{model} ({exported.path}): scored {len(digits)} digits and "
                 f"{plural(len(sets), 'set')} of {args.count} in "
                 f"{time.perf_counter() - start:.0f} s")
    for column, by_set in figures.items():
        by_set["mean (simple)"] = float(np.mean([by_set[name] for name in SIMPLE_SETS]))
        by_set["mean (complex)"] = float(np.mean([by_set[name] for name in COMPLEX_SETS]))
    return {"task": "ood", "models": models, "split": args.split, "digits": int(len(digits)),
            "count": args.count, "seed": args.seed, "k": args.k, "aurocs": figures}


def ood_table(figures: dict[str, Any]) -> str:
    columns = list(figures["aurocs"])
    names = [*SIMPLE_SETS, "mean (simple)", *COMPLEX_SETS, "mean (complex)"]
    rows = [[name] + [f"{100 * figures['aurocs'][column][name]:.1f}" for column in columns]
            for name in names]
    return "\n".join([
        f"Out of distribution, AUROC % (the set is the anomaly): {figures['digits']} held-out "
        f"digits of {figures['split']} against {figures['count']} images of each set "
        f"(seed {figures['seed']}); below 50, the model finds the set more typical than digits.",
        "", markdown_table(["set", *columns], rows)])


def code_sizes(args: argparse.Namespace) -> dict[str, Any]:
    train_images, train_labels = load_mnist(args.train_split, args.data_dir)
    test_images, test_labels = load_mnist(args.test_split, args.data_dir)
    train_images, test_images = unit_images(train_images), unit_images(test_images)
    figures: dict[str, dict[int, dict[str, float]]] = {}
    started = time.perf_counter()
    for entry in args.entries:
        flag = next(key for key in CODE_FLAGS if key in ENTRIES[entry].flags)
        for size in args.code_sizes:
            folder = args.work_dir / "codes" / f"{entry}-{flag}{size}-seed{args.seed}"
            flags = _training_flags(args, args.seed) + [f"--{flag.replace('_', '-')}", str(size)]
            settings = {"entry": entry, "flags": flags}

            def compute() -> dict[str, Any]:
                start = time.perf_counter()
                version = train_model(entry, folder / "run", folder / "exported", flags)
                exported = zoo.load(version)
                accuracy = linear_probe_accuracy(codes(exported, train_images), train_labels,
                                                 codes(exported, test_images), test_labels)
                return {"export": str(version), "linear_probe_accuracy": accuracy,
                        **reconstruction_errors(exported, test_images),
                        "seconds": round(time.perf_counter() - start, 1)}

            folder.mkdir(parents=True, exist_ok=True)
            result = _cached(folder, settings, compute)
            figures.setdefault(entry, {})[size] = {
                key: result[key] for key in ("mse", "bce_nats", "linear_probe_accuracy")}
            progress(f"{entry} {flag} {size}: reconstruction MSE {result['mse']:.4f}, "
                     f"BCE {result['bce_nats']:.1f} nats, linear probe "
                     f"{100 * result['linear_probe_accuracy']:.1f}% "
                     f"({result['seconds']:.0f} s)")
    return {"task": "codes", "entries": args.entries, "code_sizes": args.code_sizes,
            "train_split": args.train_split, "test_split": args.test_split,
            "epochs": args.epochs, "batch_size": args.batch_size, "seed": args.seed,
            "figures": figures, "seconds": round(time.perf_counter() - started, 1)}


def codes_table(figures: dict[str, Any]) -> str:
    entries = figures["entries"]
    header = ["code size"] + [f"{entry} {what}" for entry in entries
                              for what in ("MSE", "BCE (nats)", "linear probe %")]
    rows = []
    for size in figures["code_sizes"]:
        row: list[Any] = [size]
        for entry in entries:
            cell = figures["figures"][entry][size]
            row += [f"{cell['mse']:.4f}", f"{cell['bce_nats']:.1f}",
                    f"{100 * cell['linear_probe_accuracy']:.1f}"]
        rows.append(row)
    return "\n".join([
        f"Codes: trained on every digit of {figures['train_split']} ({figures['epochs']} epochs, "
        f"batch {figures['batch_size']}, seed {figures['seed']}); reconstruction error of "
        f"{figures['test_split']} (mean squared error per pixel; binary cross-entropy per "
        f"image) and the held-out accuracy of a logistic regression fitted to the codes of "
        f"{figures['train_split']}.", "", markdown_table(header, rows)])


def _write_png(path: Path, image: np.ndarray) -> None:
    import tensorflow as tf

    pixels = np.asarray(image)
    if pixels.dtype != np.uint8:
        pixels = np.round(np.clip(pixels, 0, 1) * 255).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tf.io.encode_png(pixels).numpy())


RECORD_KEYS = {"one-class": "one_class_mnist", "ood": "out_of_distribution",
               "codes": "code_sizes"}
"""Where `--record` puts each task's figures in an export's zoo.json `evaluation`."""


def _rounded(value: float) -> float:
    return round(100 * value, 1)


def records(figures: dict[str, Any], task: str) -> dict[str, dict[str, Any]]:
    """Each entry's share of the figures, compact (one line a score in `zoo info`), by entry
    name: AUROC and accuracy in %, lists in the order of `digits`, `sets` or `code_sizes`."""
    result: dict[str, dict[str, Any]] = {}
    if task == "one-class":
        for column, by_digit in figures["per_class"].items():
            entry, score = column.split(" ", 1)
            record = result.setdefault(entry, {
                "protocol": "Ruff et al. 2018 one-class MNIST: trained on one digit's images of "
                            f"{figures['train_split']}, AUROC on {figures['test_split']} with "
                            "the other digits as anomalies",
                **{key: figures[key] for key in ("train_split", "test_split", "epochs",
                                                 "steps_per_epoch", "batch_size", "k")},
                "seeds": len(figures["seeds"]), "digits": list(figures["classes"]),
                "auroc_percent": {}})
            record["auroc_percent"][score] = {
                "mean": _rounded(figures["mean"][column]["mean"]),
                "std_over_seeds": _rounded(figures["mean"][column]["std"]),
                "per_digit": [_rounded(by_digit[digit]["mean"]) for digit in by_digit]}
        for record in result.values():
            record["deep_svdd_percent"] = round(float(np.mean(
                [RUFF_DEEP_SVDD[int(digit)] for digit in record["digits"]])), 1)
    elif task == "ood":
        for column, by_set in figures["aurocs"].items():
            entry, score = column.split(" ", 1)
            record = result.setdefault(entry, {
                **{key: figures[key] for key in ("split", "count", "seed", "k")},
                "sets": list(by_set), "auroc_percent": {}})
            record["auroc_percent"][score] = [_rounded(value) for value in by_set.values()]
    else:
        for entry, by_size in figures["figures"].items():
            result[entry] = {
                **{key: figures[key] for key in ("train_split", "test_split", "epochs",
                                                 "batch_size", "seed")},
                "code_sizes": [int(size) for size in by_size],
                "mse": [round(cell["mse"], 5) for cell in by_size.values()],
                "bce_nats": [round(cell["bce_nats"], 2) for cell in by_size.values()],
                "linear_probe_percent": [_rounded(cell["linear_probe_accuracy"])
                                         for cell in by_size.values()]}
    return result


def _record(figures: dict[str, Any], task: str, command: str) -> None:
    """Each entry's figures into the zoo.json `evaluation` of its export: for ood the exports
    measured, for the others the entry's export in the exported folder."""
    paths = figures["models"] if task == "ood" else {}
    for name, record in records(figures, task).items():
        if task == "ood":
            path = next(path for model, path in paths.items() if zoo.load(path).name == name)
        else:
            path = zoo.load(model_argument(name, writing=True)).path
        written = record_evaluation(path, RECORD_KEYS[task], {**record, "command": command})
        progress(f"recorded in {written}")


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    run, table = {"one-class": (one_class, one_class_table), "ood": (ood, ood_table),
                  "codes": (code_sizes, codes_table)}[args.task]
    try:
        figures = run(args)
        print(table(figures), flush=True)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(figures, indent=1) + "\n")
            progress(f"wrote {args.json}")
        if args.record:
            _record(figures, args.task,
                    shlex.join(["python", "benchmarks/outlier_detection.py", *argv]))
    except ZooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
