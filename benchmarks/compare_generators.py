"""One table comparing the MNIST generators on the same data, in the same classifier features.

Run from the repository root:

    python benchmarks/compare_generators.py
    python benchmarks/compare_generators.py --models dcgan_mnist ddim_mnist --steps 10 50 --etas 0
    python benchmarks/compare_generators.py --json /tmp/compare.json --record

Every model (`--models`: entry names, whose newest export is used, or export folders;
by default vae_mnist, dcgan_mnist, cgan_mnist and ddim_mnist, leaving out with a note
those not exported yet) draws `--count` images (default 2,000, the size of the
held-out split) from seed `--seed` (each sample() call of `--chunk` images adds 1 to
the seed). The digit classifier of benchmarks/gan_quality.py, trained on
`--train-split` (MNIST test[:8000]) and cached in `--run-dir` (the same folder as
gan_quality's by default, so both use one classifier), judges them against the
held-out real digits of `--held-out-split` (test[8000:]):

- Fréchet distance between Gaussians fitted to the classifier's 128-D penultimate
  features of the samples and of the held-out digits (FID's recipe with an MNIST
  classifier: comparable within this table, not with published FIDs);
- precision and recall in the same features (Kynkäänniemi et al. 2019, k = `--k`):
  the share of samples inside the held-out digits' k-NN hyperspheres, and the share
  of held-out digits inside the samples' own;
- reverse KL of the classifier's digit histogram to uniform, KL(p || uniform) =
  sum p log(10 p): 0 when every digit is drawn equally often, log 10 = 2.303 nats
  for one digit alone;
- the share of samples the classifier is confident about (max softmax probability
  >= `--confident`, 0.9), and its mean max probability;
- sampling seconds per image: wall time of the draws divided by the images drawn,
  after a warm-up call of one chunk that is not timed;
- the parameters of every network of the model (a GAN's discriminator and a VAE's
  encoder included; the JSON has each network's);
- the training wall time, the epochs it covers and the training images per second
  recorded in the export's zoo.json; n/a for an export made before the runtime
  recorded them.

An export whose `sample` takes `steps` and `eta` (DDIM) gets one row for each steps
in `--steps` (5 10 20 50 100) and eta in `--etas` (0 1), the shape of Song et al.
2021's Table 1. The floor row compares the classifier's training digits with the
held-out ones: the Fréchet distance, precision and recall that real digits reach
(8,000 against 2,000 images, where a model's row has --count against 2,000).

Progress goes to stderr and the table, as Markdown, to stdout; `--json FILE` stores
the figures; `--picture FILE.png` draws the models' samples side by side at native size
(per model, 64 of its images spread evenly over its draw, so that a class-conditional
model shows every class, tiled 8 by 8, from its row at the sample signature's defaults,
else its first row; the panels in the order of the table, 8 grey pixels apart); and
`--record` writes each model's into its export's zoo.json
(`evaluation.compare_generators`; an entry name then means its export in the
exported folder). MNIST is read from `--data-dir` (default ../shared/data/mnist).
"""

from __future__ import annotations

import sys

from zoo.console import VERBOSE_FLAGS, plural, progress, quiet_tensorflow

if __name__ == "__main__" and not any(flag in VERBOSE_FLAGS for flag in sys.argv[1:]):
    quiet_tensorflow()  # before anything imports TensorFlow: its start-up lines stay hidden

import argparse  # noqa: E402
import contextlib  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import shlex  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable, Sequence  # noqa: E402

import numpy as np  # noqa: E402

import zoo  # noqa: E402
from zoo.data import load_mnist  # noqa: E402
from zoo.errors import ConfigurationError, ExportNotFoundError, InputError, ZooError  # noqa: E402
from zoo.evaluation.cache import CLASSIFIER_FILE  # noqa: E402
from zoo.evaluation.classifiers import (DIGIT_CLASSES, DIGIT_IMAGE_SHAPE, classify,  # noqa: E402
                                        load_or_train_digit_classifier)
from zoo.evaluation.coverage import class_shares, reverse_kl_to_uniform  # noqa: E402
from zoo.evaluation.frechet import feature_statistics, frechet_distance  # noqa: E402
from zoo.evaluation.outliers import markdown_table  # noqa: E402
from zoo.evaluation.precision_recall import DEFAULT_K, precision_recall  # noqa: E402
from zoo.evaluation.sampling import (is_conditional, sample_images,  # noqa: E402
                                     sample_settings)
from zoo.export import record_evaluation  # noqa: E402
from zoo.images import save_png, tile  # noqa: E402
from zoo.input_checks import check_inputs  # noqa: E402
from zoo.loading import ExportedModel  # noqa: E402
from zoo.paths import model_argument  # noqa: E402
from zoo.registry import ENTRIES  # noqa: E402

DEFAULT_MODELS = tuple(name for name in ("vae_mnist", "dcgan_mnist", "cgan_mnist", "ddim_mnist")
                       if name in ENTRIES)
"""The models compared by default; those without an export yet are left out with a note."""
SWEPT = ("steps", "eta")
"""The sample() settings given a row per value (`--steps`, `--etas`) when an export takes them."""
TRAINING_KEYS = ("wall_seconds", "timed_epochs", "images_per_second")
"""The training details of an export's zoo.json shown in the table."""
PICTURE_IMAGES, PICTURE_COLUMNS, PICTURE_GAP = 64, 8, 8
"""`--picture`: the images of each model's panel, tiled this many to a row, and the grey
gutter in pixels between panels."""
RECORD_KEY = "compare_generators"
"""Where `--record` puts a model's figures in its export's zoo.json `evaluation`."""


class Parser(argparse.ArgumentParser):
    """Usage errors are one `error: ...` line (exit status 2)."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see `{self.prog} --help`).\n")


def _number(name: str, kind: Callable[[str], Any], minimum: float,
            maximum: float | None = None) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} takes {kind.__name__}s; got {text!r}")
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"from {minimum} to {maximum}" if maximum is not None else \
                f"at least {minimum}"
            raise argparse.ArgumentTypeError(f"{name} must be {bounds}; got {text}")
        return value
    return parse


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = Parser(prog="python benchmarks/compare_generators.py", description=__doc__,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=None, metavar="MODEL",
                        help="entry names or export folders (default: "
                             f"{' '.join(DEFAULT_MODELS)}, leaving out those not exported yet)")
    parser.add_argument("--data-dir", default="../shared/data/mnist",
                        help="MNIST IDX folder or tensorflow-datasets data_dir (default: "
                             "%(default)s)")
    parser.add_argument("--train-split", default="test[:8000]",
                        help="real digits the classifier is trained on, the floor's first side "
                             "(default: %(default)s)")
    parser.add_argument("--held-out-split", default="test[8000:]",
                        help="real digits the samples are compared with (default: %(default)s)")
    parser.add_argument("--count", type=_number("--count", int, 2), default=2000,
                        help="images drawn from each model and setting (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the first sample() call; each further call adds 1 "
                             "(default: %(default)s)")
    parser.add_argument("--chunk", type=_number("--chunk", int, 1), default=500,
                        help="images per sample() call (default: %(default)s)")
    parser.add_argument("--steps", nargs="+", type=_number("--steps", int, 1),
                        default=[5, 10, 20, 50, 100], metavar="N",
                        help="sampling steps of a model whose sample() takes them, a row each "
                             "(default: 5 10 20 50 100)")
    parser.add_argument("--etas", nargs="+", type=_number("--etas", float, 0.0, 1.0),
                        default=[0.0, 1.0], metavar="ETA",
                        help="DDIM's eta of a model whose sample() takes it, a row each "
                             "(default: 0 1)")
    parser.add_argument("--k", type=_number("--k", int, 1), default=DEFAULT_K,
                        help="the nearest neighbour setting each hypersphere of precision and "
                             "recall (default: %(default)s, Kynkäänniemi et al. 2019)")
    parser.add_argument("--confident", type=_number("--confident", float, 0.0, 1.0),
                        default=0.9,
                        help="the max softmax probability from which the classifier is counted "
                             "as confident about a sample (default: %(default)s)")
    parser.add_argument("--run-dir", default="runs/gan_quality",
                        help=f"folder caching the classifier ({CLASSIFIER_FILE}; default: "
                             "%(default)s, shared with benchmarks/gan_quality.py)")
    parser.add_argument("--classifier-epochs", type=_number("--classifier-epochs", int, 1),
                        default=10, help="training epochs of the classifier when it is not "
                                         "cached (default: %(default)s)")
    parser.add_argument("--classifier-batch-size",
                        type=_number("--classifier-batch-size", int, 1), default=64,
                        help="training batch of the classifier (default: %(default)s)")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE",
                        help="also write the figures to FILE")
    parser.add_argument("--picture", type=Path, default=None, metavar="FILE.png",
                        help=f"also draw {PICTURE_IMAGES} samples of each model side by side at "
                             "native size into this PNG (the row at the sample signature's "
                             "defaults, else the first)")
    parser.add_argument("--record", action="store_true",
                        help=f"write each model's figures into its export's zoo.json "
                             f"(evaluation.{RECORD_KEY}); an entry name means its export in "
                             "the exported folder")
    parser.add_argument(*VERBOSE_FLAGS, dest="verbose", action="store_true",
                        help="show TensorFlow's start-up and log lines")
    args = parser.parse_args(argv)
    given = args.models or []
    repeated = sorted({model for model in given if given.count(model) > 1})
    if repeated:
        parser.error(f"--models names {', '.join(repeated)} more than once")
    if args.picture is not None and args.picture.is_dir():
        parser.error(f"--picture {args.picture} is a folder; name a .png file")
    if args.picture is not None and args.picture.suffix.lower() != ".png":
        parser.error(f"--picture writes a PNG; name a file ending in .png, not {args.picture}")
    if args.count <= args.k:
        parser.error(f"--count must be more than --k ({args.k}) for the k-NN radii; got "
                     f"{args.count}")
    return args


def _settings_grid(exported: ExportedModel, args: argparse.Namespace) -> list[dict[str, Any]]:
    """One settings dict per row: each combination of --steps and --etas the export's sample()
    takes; [{}] for an export that takes neither."""
    taken = [name for name in SWEPT if name in sample_settings(exported)]
    values = {"steps": args.steps, "eta": args.etas}
    return [dict(zip(taken, combination))
            for combination in itertools.product(*(values[name] for name in taken))]


def _load_models(args: argparse.Namespace) -> tuple[dict[str, ExportedModel], list[str]]:
    """Each model to compare by its label (as given), checked and warmed up; and the default
    entries left out for want of an export."""
    chosen = args.models or list(DEFAULT_MODELS)
    models, skipped = {}, []
    for name in chosen:
        try:
            exported = zoo.load(model_argument(name, writing=args.record))
        except ExportNotFoundError:
            if args.models is None and name in ENTRIES:
                progress(f"note: {name} has no export yet; left out of the table (train it "
                         f"with `zoo train {name}`, or name the models with --models)")
                skipped.append(name)
                continue
            raise
        sample = exported.signatures.get("sample")
        if sample is None or [spec.name for spec in sample.inputs][:2] != ["count", "seed"]:
            raise ConfigurationError(f"{name} ({exported.path}) has no sample(count, seed) "
                                     "signature; it is not a generative model.")
        fixed = {"count": 1, "seed": args.seed, **({"label": 0} if is_conditional(exported)
                                                   else {})}
        for settings in _settings_grid(exported, args):
            try:
                check_inputs(sample, {**fixed, **settings})
            except InputError as error:
                raise ConfigurationError(f"{name}: {error}") from None
        # The first call of a batch size costs more than the next ones: not timed.
        size = min(args.chunk, args.count, int(sample.inputs[0].maximum or args.chunk))
        warm_up = np.asarray(exported.sample(**{**fixed, "count": size},
                                             **_settings_grid(exported, args)[0]))
        if warm_up.shape[1:] != DIGIT_IMAGE_SHAPE:
            raise ConfigurationError(f"{name} ({exported.path}) makes images of shape "
                                     f"{warm_up.shape[1:]}, not the MNIST {DIGIT_IMAGE_SHAPE}.")
        if is_conditional(exported):
            classes = int(sample.inputs[2].maximum) + 1
            if args.count // classes * classes <= args.k:
                raise ConfigurationError(f"--count {args.count} draws {args.count // classes} "
                                         f"images of each of {name}'s {classes} classes; "
                                         f"precision and recall need more than {args.k} in all.")
        models[name] = exported
    if not models:
        raise ConfigurationError(f"none of {', '.join(chosen)} has an export to compare; train "
                                 "one, or name export folders with --models.")
    return models, skipped


def _parameters(exported: ExportedModel) -> tuple[int, dict[str, int]]:
    """The model's parameters, and those of each of its networks (sub-models), by name."""
    import keras

    model = exported.keras_model()
    networks = {layer.name: int(layer.count_params()) for layer in model.layers
                if isinstance(layer, keras.Model)}
    return int(model.count_params()), networks


def _verdicts(probabilities: np.ndarray, threshold: float) -> dict[str, Any]:
    """What the classifier says of a set of images: the digit shares, their reverse KL to
    uniform, the share it is confident about and its mean confidence."""
    shares = class_shares(probabilities.argmax(axis=1), DIGIT_CLASSES)
    confidence = probabilities.max(axis=1)
    return {"reverse_kl_to_uniform": round(reverse_kl_to_uniform(shares), 5),
            "digit_shares": [round(float(share), 5) for share in shares],
            "confident_share": round(float(np.mean(confidence >= threshold)), 5),
            "mean_confidence": round(float(confidence.mean()), 5)}


def _against_held_out(features: np.ndarray, held_features: np.ndarray,
                      held_statistics: tuple[np.ndarray, np.ndarray], k: int) -> dict[str, Any]:
    """The Fréchet distance, precision and recall of a set's features against the held-out
    digits' (`held_statistics`: their mean and covariance)."""
    precision, recall = precision_recall(held_features, features, k)
    distance = frechet_distance(*feature_statistics(features), *held_statistics)
    return {"frechet_distance": round(distance, 4), "precision": round(precision, 5),
            "recall": round(recall, 5)}


def _picture_row(exported: ExportedModel, grid: list[dict[str, Any]]) -> int:
    """The row `--picture` shows: the one at the sample signature's defaults, else the
    first."""
    defaults = {spec.name: spec.default for spec in exported.signatures["sample"].inputs
                if spec.default is not None}
    matching = [index for index, settings in enumerate(grid)
                if all(defaults.get(name) == value for name, value in settings.items())]
    return matching[0] if matching else 0


def picture(panels: Sequence[np.ndarray]) -> np.ndarray:
    """Each model's images tiled (64 spread evenly over its draw, 8 to a row), the tiles side
    by side with a grey gutter: one (H, W, C) image at native size."""
    tiles = []
    for images in panels:
        chosen = images[np.linspace(0, len(images) - 1, min(PICTURE_IMAGES, len(images)))
                        .round().astype(int)]
        tiles.append(tile(chosen, columns=PICTURE_COLUMNS))
    height = max(grid.shape[0] for grid in tiles)
    gutter = np.full((height, PICTURE_GAP, tiles[0].shape[2]), 0.5, np.float32)
    padded = [np.pad(grid, ((0, height - grid.shape[0]), (0, 0), (0, 0)), constant_values=1.0)
              for grid in tiles]
    return np.concatenate(list(itertools.chain(*zip(padded, [gutter] * len(padded))))[:-1],
                          axis=1)


def compare(args: argparse.Namespace,
            panels: dict[str, tuple[dict[str, Any], np.ndarray]] | None = None
            ) -> dict[str, Any]:
    """The figures of every model and setting; `panels`, when given, receives each model's
    settings and images of the row `--picture` shows."""
    start = time.perf_counter()
    models, skipped = _load_models(args)
    splits = {}
    for role, split in (("train", args.train_split), ("held-out", args.held_out_split)):
        images, labels = load_mnist(split, args.data_dir)
        if len(images) <= args.k:
            raise ConfigurationError(f"the {role} split {split!r} holds "
                                     f"{plural(len(images), 'image')}; precision and recall "
                                     f"need more than --k ({args.k}).")
        splits[role] = images, labels
    (train_images, train_labels), (held_images, held_labels) = splits["train"], splits["held-out"]
    progress(f"classifier: {len(train_images)} images of {args.train_split}; held-out: "
             f"{len(held_images)} images of {args.held_out_split}; from {args.data_dir}")
    classifier_start = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):  # its epochs' lines are progress
        classifier, trained_now = load_or_train_digit_classifier(
            args.run_dir, train_images, train_labels, args.classifier_epochs,
            args.classifier_batch_size)
    classifier_path = Path(args.run_dir) / CLASSIFIER_FILE
    progress(f"trained the classifier in {time.perf_counter() - classifier_start:.0f} s, saved "
             f"to {classifier_path}" if trained_now else
             f"loaded the cached classifier {classifier_path}")

    train_features, _ = classify(classifier, train_images)
    held_features, held_probabilities = classify(classifier, held_images)
    held_statistics = feature_statistics(held_features)
    accuracy = float(np.mean(held_probabilities.argmax(axis=1) == held_labels))
    held = _verdicts(held_probabilities, args.confident)
    floor = _against_held_out(train_features, held_features, held_statistics, args.k)
    progress(f"classifier held-out accuracy {100 * accuracy:.2f}%; floor (real vs real): "
             f"Fréchet distance {floor['frechet_distance']:.3f}, precision "
             f"{floor['precision']:.3f}, recall {floor['recall']:.3f}")

    figures: dict[str, Any] = {}
    for name, exported in models.items():
        parameters, networks = _parameters(exported)
        training = exported.metadata.get("training", {})
        rows = []
        grid = _settings_grid(exported, args)
        for index, settings in enumerate(grid):
            drawn = time.perf_counter()
            images, _ = sample_images(exported, args.count, args.seed, args.chunk, settings)
            seconds = time.perf_counter() - drawn
            if panels is not None and index == _picture_row(exported, grid):
                panels[name] = settings, images
            features, probabilities = classify(classifier, images)
            row = {"settings": settings, "generated_images": int(len(images)),
                   **_against_held_out(features, held_features, held_statistics, args.k),
                   **_verdicts(probabilities, args.confident),
                   "sampling_seconds": round(seconds, 3),
                   "sampling_seconds_per_image": float(f"{seconds / len(images):.4g}")}
            rows.append(row)
            described = f", {_described(settings)}" if settings else ""
            progress(f"{name}{described}: {len(images)} images in {seconds:.1f} s; Fréchet "
                     f"distance {row['frechet_distance']:.3f}, precision {row['precision']:.3f},"
                     f" recall {row['recall']:.3f}")
        figures[name] = {"entry": exported.name, "export": str(exported.path),
                         "parameters": parameters, "parameters_by_network": networks,
                         "training": {key: training.get(key) for key in TRAINING_KEYS},
                         "rows": rows}
    return {"data": f"MNIST from {args.data_dir}", "train_split": args.train_split,
            "held_out_split": args.held_out_split, "train_images": int(len(train_images)),
            "held_out_images": int(len(held_images)), "count": args.count, "seed": args.seed,
            "chunk": args.chunk, "k": args.k, "confident_threshold": args.confident,
            "classifier": str(classifier_path), "classifier_trained_now": trained_now,
            "classifier_held_out_accuracy": round(accuracy, 5), "held_out": held,
            "floor": floor, "models": figures, "skipped": skipped,
            "seconds": round(time.perf_counter() - start, 1)}


def _cell(value: Any, form: str, missing: str = "n/a") -> str:
    return missing if value is None else format(value, form)


def table(figures: dict[str, Any]) -> str:
    """The figures as a caption and a Markdown table, the floor first."""
    threshold = figures["confident_threshold"]
    header = ["model", "steps", "eta", "Fréchet distance", "precision", "recall",
              "reverse KL (nats)", f"confident (p ≥ {threshold:g})", "mean confidence",
              "sampling ms / image", "parameters", "training s", "timed epochs",
              "training images / s"]
    floor = figures["floor"]
    rows = [[f"real {figures['train_split']} ({figures['train_images']})", "-", "-",
             f"{floor['frechet_distance']:.2f}", f"{floor['precision']:.3f}",
             f"{floor['recall']:.3f}", *["-"] * 8]]
    for name, model in figures["models"].items():
        training = model["training"]
        for row in model["rows"]:
            settings = row["settings"]
            rows.append([
                f"`{name}`", _cell(settings.get("steps"), "d", "-"),
                _cell(settings.get("eta"), "g", "-"),
                f"{row['frechet_distance']:.2f}", f"{row['precision']:.3f}",
                f"{row['recall']:.3f}", f"{row['reverse_kl_to_uniform']:.3f}",
                f"{row['confident_share']:.3f}", f"{row['mean_confidence']:.3f}",
                f"{1000 * row['sampling_seconds_per_image']:.3g}", str(model["parameters"]),
                _cell(training["wall_seconds"], ".0f"), _cell(training["timed_epochs"], "d"),
                _cell(training["images_per_second"], ".0f")])
    held = figures["held_out"]
    caption = (
        f"{figures['count']} images drawn from each model and setting (seed {figures['seed']}, "
        f"{figures['chunk']} a call; a class-conditional model draws as many of each digit, "
        f"{figures['count'] // DIGIT_CLASSES}) against the {figures['held_out_images']} held-out "
        f"digits of {figures['held_out_split']}, in the features of a digit classifier trained "
        f"on the {figures['train_images']} images of {figures['train_split']} (held-out accuracy "
        f"{100 * figures['classifier_held_out_accuracy']:.2f}%). Precision and recall: "
        f"Kynkäänniemi et al. 2019, k = {figures['k']}. Reverse KL of the classifier's digit "
        f"histogram to uniform: 0 for every digit equally often, {np.log(DIGIT_CLASSES):.3f} for "
        f"one. Confident: the share of samples whose max softmax probability is at least "
        f"{threshold:g}. The held-out real digits reach reverse KL "
        f"{held['reverse_kl_to_uniform']:.3f}, confident {held['confident_share']:.3f}, mean "
        f"confidence {held['mean_confidence']:.3f}. Sampling: wall time of the draws per image "
        "after an untimed warm-up call of one chunk. Parameters: every network of the model. "
        "Training: the export's recorded wall time, the epochs it covers and images per second "
        "(n/a: not recorded by the runtime that trained it).")
    if figures["skipped"]:
        caption += f" Not exported yet, left out: {', '.join(figures['skipped'])}."
    return "\n".join([caption, "", markdown_table(header, rows)])


def _record(figures: dict[str, Any], command: str) -> None:
    """Each model's figures, with the shared context, into its export's zoo.json."""
    context = {key: figures[key] for key in (
        "data", "train_split", "held_out_split", "train_images", "held_out_images", "count",
        "seed", "k", "confident_threshold", "classifier_held_out_accuracy", "floor")}
    for model in figures["models"].values():
        record = {**context, **{key: model[key] for key in (
            "parameters", "parameters_by_network", "training", "rows")}, "command": command}
        progress(f"recorded in {record_evaluation(model['export'], RECORD_KEY, record)}")


def _described(settings: dict[str, Any]) -> str:
    return ", ".join(f"{key} {value:g}" for key, value in settings.items())


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    try:
        panels: dict[str, tuple[dict[str, Any], np.ndarray]] = {}
        figures = compare(args, panels if args.picture else None)
        print(table(figures), flush=True)
        if args.picture:
            args.picture.parent.mkdir(parents=True, exist_ok=True)
            save_png(args.picture, picture([images for _, images in panels.values()]))
            shown = "; ".join(name + (f" ({_described(settings)})" if settings else "")
                              for name, (settings, _) in panels.items())
            progress(f"wrote {args.picture}: left to right, {shown}")
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(figures, indent=1) + "\n")
            progress(f"wrote {args.json}")
        if args.record:
            _record(figures, shlex.join(["python", "benchmarks/compare_generators.py", *argv]))
    except ZooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
