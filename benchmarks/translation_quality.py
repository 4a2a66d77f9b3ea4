"""Held-out quality of an exported translation model, beside its ablation where it has one.

- `pix2pix_mnist_inpaint`: the digits of `--split` (default the held-out
  `test[8000:]`) with their lower half blanked are completed by the model and,
  with `--ablation`, by the L1-only model trained with the same command and
  `--lambda-gan 0` (the paper's Table 1 comparison, on a task with a known
  answer). For each: the mean L1 to the true digit (whole image and the blanked
  half), the accuracy of the MNIST classifier of `gan_quality.py` (cached in
  the same folder, `--run-dir`) on the completed digits against their labels,
  and the Fréchet distance of its features between the completions and the
  real held-out digits. Target: L1+cGAN's Fréchet distance at most 0.7x the
  L1-only model's, with accuracy within 2 points.
- `pix2pix_facades`: the mean L1 on the test pairs (label map -> photo, at the
  model's size) and the pairs as a picture: input | output | target.
- `cyclegan_mnist_restyle`: every digit a of `--split` (default the held-out
  `test[8000:]`) is translated by `a_to_b`; the restyling transform T the model
  never saw gives the true answer T(a). For the model and, with `--ablation`,
  for the same command trained with `--lambda-cycle 0` (the paper's cycle-off
  ablation): the mean L1 of a_to_b(a) to T(a); label preservation, the share
  of a_to_b(a) that a classifier trained on restyled digits (T of
  `--classifier-train-split`, default `test[:8000]`, with their labels; the
  classifier of `gan_quality.py` on RGB, cached in `--classifier-run-dir`)
  calls a's digit; and the cycle L1 of b_to_a(a_to_b(a)) to a. Beside them the
  identity baseline (a itself: its L1 to T(a), the share of plain digits the
  classifier gets right) and the classifier's own accuracy on T(a), the
  ceiling. Target: label preservation at least 95% with the cycle loss.
- `cyclegan_horse2zebra`: a small horse-vs-zebra CNN (`build_domain_classifier`)
  is trained at the model's size on `--classifier-train-split` (default
  `train`: trainA horses, trainB zebras, random mirroring) and cached in
  `--classifier-run-dir`. On the test horses (testA) and zebras (testB): the
  share of translated horses it calls zebras and of translated zebras it calls
  horses, and the Fréchet distance of its features between the translations
  and the real test images of the target domain; beside them the identity
  baseline (the untranslated images) and the classifier's accuracy on the
  untranslated test images. Target: at least 80% of the translated test horses
  called zebras.

A cached classifier is reused only if its record (classifier.json: architecture,
a hash of its training data, epochs, seed) matches this run's; a cache trained
otherwise is refused, one without a record is replaced. The classifiers, their
cache and the figures are `zoo.evaluation`'s (`classifiers`, `cache`,
`translation`); this script holds each entry's defaults and its report.

Prints a table and, last, the figures as one JSON line; `--picture` saves the
grid (default runs/translation_quality/<entry>.png); `--update-metadata`
records the figures in the export's zoo.json under `evaluation.translation_quality`.

    python benchmarks/translation_quality.py --entry pix2pix_mnist_inpaint \\
        --ablation runs/pix2pix_mnist_inpaint_l1_exported/pix2pix_mnist_inpaint/1
    python benchmarks/translation_quality.py --entry pix2pix_facades --split test
    python benchmarks/translation_quality.py --entry cyclegan_mnist_restyle \\
        --ablation runs/cycle_off_exported/cyclegan_mnist_restyle/1
    python benchmarks/translation_quality.py --entry cyclegan_horse2zebra \\
        --data-dir ../shared/data/horse2zebra
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Callable

from zoo.console import VERBOSE_HELP, quiet_script

# Before the imports below load TensorFlow: its start-up lines hidden unless --verbose
# (so they follow a call, which E402 would flag).
# ruff: noqa: E402
quiet_script()

import numpy as np

import zoo
from zoo.data import load_examples, load_mnist
from zoo.data.tasks import restyle
from zoo.errors import ConfigurationError, ZooError
from zoo.evaluation.cache import CLASSIFIER_FILE
from zoo.evaluation.classifiers import (HORSE, ZEBRA, classify, domain_training_files,
                                        load_or_train_digit_classifier,
                                        load_or_train_domain_classifier)
from zoo.evaluation.frechet import feature_statistics
from zoo.evaluation.translation import (called, digits_of_completions, domain_figures, held_out,
                                        inpainting_figures, mean_l1, restyle_figures,
                                        restyle_held_out, translate)
from zoo.export import record_evaluation
from zoo.images import example_rows, save_png
from zoo.paths import model_argument


@dataclasses.dataclass(frozen=True)
class EntryDefaults:
    """What an entry's evaluation reads when no flag says otherwise.

    Attributes:
        data_dir: the data set's folder.
        split: the held-out split.
        classifier_train_split: what the entry's classifier is trained on; None for none.
        classifier_epochs: its training epochs when it is not cached.
        classifier_run_dir: the folder caching the entry's own classifier; None when it
            has none of its own (the inpainting entry shares gan_quality.py's, `--run-dir`).
        rows: examples in the picture; None for all.
    """

    data_dir: str
    split: str
    classifier_train_split: str | None = None
    classifier_epochs: int | None = None
    classifier_run_dir: str | None = None
    rows: int | None = 8


ENTRIES = {
    "pix2pix_mnist_inpaint": EntryDefaults("../shared/data/mnist", "test[8000:]", "test[:8000]",
                                           10),
    "pix2pix_facades": EntryDefaults("../shared/data/facades_crops", "test", rows=None),
    "cyclegan_mnist_restyle": EntryDefaults("../shared/data/mnist", "test[8000:]", "test[:8000]",
                                            10, "runs/translation_quality/restyle_classifier"),
    "cyclegan_horse2zebra": EntryDefaults("../shared/data/horse2zebra", "test", "train", 8,
                                          "runs/translation_quality/horse2zebra_classifier"),
}
# The entries with an ablation: the model config key that is 0 in it, and its row's name.
ABLATIONS = {"pix2pix_mnist_inpaint": ("lambda_gan", "L1 only (lambda_gan=0)"),
             "cyclegan_mnist_restyle": ("lambda_cycle", "cycle off (lambda_cycle=0)")}
MNIST_CLASSIFIER_BATCH = 64
LABEL_PRESERVATION_TARGET = 0.95
CALLED_ZEBRA_TARGET = 0.8


# The flags that apply to some entries only, and those entries.
_OWN_CLASSIFIER = sorted(name for name, entry in ENTRIES.items() if entry.classifier_run_dir)
_ANY_CLASSIFIER = sorted(name for name, entry in ENTRIES.items()
                         if entry.classifier_train_split)
_ENTRY_FLAGS = {"ablation": sorted(ABLATIONS), "classifier_run_dir": _OWN_CLASSIFIER,
                "classifier_train_split": _ANY_CLASSIFIER, "classifier_epochs": _ANY_CLASSIFIER}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--entry", choices=sorted(ENTRIES), default="pix2pix_mnist_inpaint")
    parser.add_argument("--model", default=None, help="export name or directory (default: the "
                        "entry's newest export)")
    parser.add_argument("--ablation", default=None,
                        help="the export to compare with: the L1-only one (lambda_gan=0) for "
                             "inpainting, the cycle-off one (lambda_cycle=0) for restyling")
    parser.add_argument("--data-dir", default=None, help="default: the data set's folder in "
                        "../shared/data")
    parser.add_argument("--split", default=None, help="held-out split (default: test[8000:] "
                        "for MNIST, test for facades and horse2zebra)")
    parser.add_argument("--classifier-train-split", default=None,
                        help="what the classifier is trained on, when not cached (default: "
                             "test[:8000] for MNIST, train for horse2zebra)")
    parser.add_argument("--classifier-epochs", type=int, default=None,
                        help="training epochs of the classifier, when not cached (default: 10 "
                             "for MNIST, 8 for horse2zebra)")
    parser.add_argument("--run-dir", default="runs/gan_quality",
                        help="folder caching the inpainting entry's MNIST classifier (shared "
                             "with gan_quality.py)")
    parser.add_argument("--classifier-run-dir", default=None,
                        help="folder caching the CycleGAN entries' classifier (default: "
                             "runs/translation_quality/restyle_classifier or "
                             "horse2zebra_classifier)")
    parser.add_argument("--picture", type=Path, default=None,
                        help="PNG of the held-out examples (default: runs/translation_quality/"
                             "<entry>.png)")
    parser.add_argument("--rows", type=int, default=None,
                        help="examples in the picture (default: 8, every facade)")
    parser.add_argument("--update-metadata", action="store_true",
                        help="record the figures in the export's zoo.json")
    # Read by quiet_script() from the command line, before the parser runs.
    parser.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help=VERBOSE_HELP)
    args = parser.parse_args(argv)
    if args.rows is not None and args.rows < 1:
        parser.error(f"--rows must be positive; got {args.rows}")
    if args.classifier_epochs is not None and args.classifier_epochs < 1:
        parser.error(f"--classifier-epochs must be positive; got {args.classifier_epochs}")
    for name, entries in _ENTRY_FLAGS.items():
        if getattr(args, name) is not None and args.entry not in entries:
            parser.error(f"--{name.replace('_', '-')} does not apply to {args.entry}; only to "
                         f"{', '.join(entries)}")
    defaults = ENTRIES[args.entry]
    for name in ("data_dir", "split", "classifier_train_split", "classifier_epochs",
                 "classifier_run_dir"):
        if getattr(args, name) is None:
            setattr(args, name, getattr(defaults, name))
    return args


def _load(name: str | None, entry: str, writing: bool = False) -> zoo.ExportedModel:
    model = zoo.load(model_argument(name or entry, writing))
    if model.name != entry:
        raise ConfigurationError(f"{model.path} is an export of {model.name!r}, not {entry!r}.")
    return model


def _load_ablation(name: str, entry: str) -> zoo.ExportedModel:
    """The ablation's export, refused unless trained with its entry's ablated weight at 0."""
    ablation = _load(name, entry)
    key, _ = ABLATIONS[entry]
    value = ablation.metadata["model_config"].get(key)
    if value != 0:
        raise ConfigurationError(f"--ablation {ablation.path} was trained with {key}={value}; the "
                                 f"ablation is the model trained with --{key.replace('_', '-')} "
                                 "0.")
    return ablation


def _image_size(model: zoo.ExportedModel) -> int:
    return model.metadata["model_config"]["image_size"]


def _version(model: zoo.ExportedModel) -> str:
    return f"{model.name} version {model.path.name}"


def _report_classifier(path: Path, trained_now: bool, epochs: int, seconds: float) -> None:
    if trained_now:
        print(f"trained the classifier for {epochs} epochs in {seconds:.0f} s, saved to {path}")
    else:
        print(f"loaded the cached classifier {path}")


Evaluation = Callable[..., tuple[dict, list[np.ndarray], list[str]]]
"""An entry's evaluation: (arguments, model, ablation or None) -> (figures, the picture's
columns, their names)."""


def _paired_held_out(args: argparse.Namespace, model: zoo.ExportedModel
                     ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """A pix2pix entry's held-out pairs and the model's translations of their inputs."""
    data = held_out(args.entry, args.split, args.data_dir, _image_size(model))
    print(f"{_version(model)}: {len(data['input'])} held-out examples of {args.split} from "
          f"{args.data_dir}", flush=True)
    return data, translate(model, data["input"])


def evaluate_facades(args: argparse.Namespace, model: zoo.ExportedModel,
                     ablation: zoo.ExportedModel | None) -> tuple[dict, list, list[str]]:
    """The mean L1 of label map -> photo on the held-out pairs."""
    data, outputs = _paired_held_out(args, model)
    l1 = round(mean_l1(outputs, data["target"]), 5)
    print(f"\nmean L1 to the true photo, pixel values in [0, 1]: {l1:.4f}")
    return ({"examples": int(len(outputs)), "l1": l1}, [data["input"], outputs, data["target"]],
            ["input", "output", "target"])


def evaluate_inpainting(args: argparse.Namespace, model: zoo.ExportedModel,
                        ablation: zoo.ExportedModel | None) -> tuple[dict, list, list[str]]:
    """L1+cGAN beside L1 only: L1, classifier accuracy and Fréchet distance of the completions."""
    data, outputs = _paired_held_out(args, model)
    train_images, train_labels = load_mnist(args.classifier_train_split, args.data_dir)
    classifier, _ = load_or_train_digit_classifier(args.run_dir, train_images, train_labels,
                                                   args.classifier_epochs, MNIST_CLASSIFIER_BATCH)
    real_features, _ = classify(classifier, digits_of_completions(data["target"]))
    real_statistics = feature_statistics(real_features)
    ablated_name = ABLATIONS[args.entry][1]
    rows = {"L1+cGAN (this model)": inpainting_figures(outputs, data, classifier,
                                                       real_statistics)}
    columns, names = [data["input"], outputs, data["target"]], ["input", "output", "target"]
    if ablation is not None:
        ablated = translate(ablation, data["input"])
        rows[ablated_name] = inpainting_figures(ablated, data, classifier, real_statistics)
        columns.insert(1, ablated)
        names.insert(1, "L1 only")
    print(f"\n{'model':<24} {'L1':>8} {'L1 lower':>9} {'accuracy':>9} {'Fréchet':>9}")
    for name, figures in rows.items():
        print(f"{name:<24} {figures['l1']:>8.4f} {figures['l1_blanked_half']:>9.4f} "
              f"{100 * figures['accuracy']:>8.2f}% {figures['frechet_distance']:>9.2f}")
    result = {"examples": int(len(outputs)), "l1_cgan": rows["L1+cGAN (this model)"]}
    if ablation is not None:
        l1_only = rows[ablated_name]
        result["l1_only"] = {**l1_only, "model": f"{ablation.path}"}
        ratio = result["l1_cgan"]["frechet_distance"] / l1_only["frechet_distance"]
        gap = 100 * (l1_only["accuracy"] - result["l1_cgan"]["accuracy"])
        result["frechet_ratio"] = round(ratio, 3)
        result["accuracy_gap_points"] = round(gap, 2)
        print(f"\nFréchet ratio L1+cGAN / L1-only: {ratio:.3f} (target <= 0.7); accuracy "
              f"{gap:+.2f} points behind L1-only (target <= 2)")
    return result, columns, names


def evaluate_restyle(args: argparse.Namespace, model: zoo.ExportedModel,
                     ablation: zoo.ExportedModel | None) -> tuple[dict, list, list[str]]:
    """The model (and its cycle-off ablation) against T(a), the labels and the cycle."""
    data = restyle_held_out(args.split, args.data_dir)
    print(f"{_version(model)}: {len(data['a'])} held-out digits of {args.split} from "
          f"{args.data_dir}", flush=True)
    train_images, train_labels = load_mnist(args.classifier_train_split, args.data_dir)
    print(f"classifier: {len(train_images)} restyled digits of {args.classifier_train_split}",
          flush=True)
    start = time.perf_counter()
    classifier, trained_now = load_or_train_digit_classifier(
        args.classifier_run_dir, np.asarray(restyle(train_images)), train_labels,
        args.classifier_epochs, MNIST_CLASSIFIER_BATCH, run_dir_flag="--classifier-run-dir")
    classifier_path = Path(args.classifier_run_dir) / CLASSIFIER_FILE
    _report_classifier(classifier_path, trained_now, args.classifier_epochs,
                       time.perf_counter() - start)
    _, true_probabilities = classify(classifier, data["target"])
    _, plain_probabilities = classify(classifier, data["a"])
    ceiling = called(true_probabilities, data["label"])

    outputs = translate(model, data["a"], "a_to_b")
    cycled = translate(model, outputs, "b_to_a")
    ablated_name = ABLATIONS[args.entry][1]
    rows = {"CycleGAN (this model)": restyle_figures(outputs, cycled, data, classifier)}
    columns = [data["a"], outputs, data["target"], cycled]
    names = ["a", "a_to_b(a)", "T(a)", "b_to_a(a_to_b(a))"]
    if ablation is not None:
        ablated = translate(ablation, data["a"], "a_to_b")
        ablated_cycle = translate(ablation, ablated, "b_to_a")
        rows[ablated_name] = restyle_figures(ablated, ablated_cycle, data, classifier)
        columns.insert(3, ablated)
        names.insert(3, "cycle off a_to_b(a)")
    identity = {"l1_to_true": round(mean_l1(data["a"], data["target"]), 5),
                "label_preservation": round(called(plain_probabilities, data["label"]), 5),
                "cycle_l1": 0.0}
    rows["identity (a itself)"] = identity
    print(f"\n{'model':<28} {'L1 to T(a)':>10} {'labels kept':>12} {'cycle L1':>9}")
    for name, figures in rows.items():
        print(f"{name:<28} {figures['l1_to_true']:>10.4f} "
              f"{100 * figures['label_preservation']:>11.2f}% {figures['cycle_l1']:>9.4f}")
    print(f"{'T(a) (the true answer)':<28} {0.0:>10.4f} {100 * ceiling:>11.2f}% {'-':>9}")
    print("labels kept: the share of images the classifier trained on restyled digits calls "
          "a's digit; on T(a) itself, its own accuracy (the ceiling)")

    cyclegan = rows["CycleGAN (this model)"]
    result = {"examples": int(len(outputs)), "classifier": str(classifier_path),
              "classifier_trained_now": trained_now,
              "classifier_accuracy_restyled": round(ceiling, 5), "cyclegan": cyclegan}
    print(f"\nlabel preservation with the cycle loss: {100 * cyclegan['label_preservation']:.2f}% "
          f"(target >= {100 * LABEL_PRESERVATION_TARGET:.0f}%)")
    if ablation is not None:
        cycle_off = rows[ablated_name]
        gap = 100 * (cyclegan["label_preservation"] - cycle_off["label_preservation"])
        result["cycle_off"] = {**cycle_off, "model": f"{ablation.path}"}
        result["label_preservation_gap_points"] = round(gap, 2)
        print(f"without it (lambda_cycle=0): {100 * cycle_off['label_preservation']:.2f}%, "
              f"{gap:+.2f} points behind; cycle L1 {cycle_off['cycle_l1']:.4f} against "
              f"{cyclegan['cycle_l1']:.4f}")
    result["identity"] = identity
    return result, columns, names


def evaluate_horse2zebra(args: argparse.Namespace, model: zoo.ExportedModel,
                         ablation: zoo.ExportedModel | None) -> tuple[dict, list, list[str]]:
    """Translated test horses called zebras (and back), Fréchet distances, identity beside."""
    size = _image_size(model)
    examples = load_examples("horse2zebra", args.split, args.data_dir)
    horses, zebras = (examples.domains[domain].held_out(len(examples.domains[domain]),
                                                        size)["image"] for domain in ("a", "b"))
    if min(len(horses), len(zebras)) < 2:
        raise ConfigurationError(f"horse2zebra split {args.split!r} holds {len(horses)} horses "
                                 f"and {len(zebras)} zebras; the Fréchet distance needs at least "
                                 "2 of each.")
    print(f"{_version(model)}: {len(horses)} horses and {len(zebras)} zebras of {args.split} "
          f"from {args.data_dir}, at {size}x{size}", flush=True)
    paths, labels = domain_training_files(args.classifier_train_split, args.data_dir)
    print(f"classifier: {int(np.sum(labels == HORSE))} horses and {int(np.sum(labels == ZEBRA))} "
          f"zebras of {args.classifier_train_split}", flush=True)
    start = time.perf_counter()
    classifier, trained_now = load_or_train_domain_classifier(
        args.classifier_run_dir, paths, labels, size, args.classifier_epochs)
    classifier_path = Path(args.classifier_run_dir) / CLASSIFIER_FILE
    _report_classifier(classifier_path, trained_now, args.classifier_epochs,
                       time.perf_counter() - start)
    real_horses, real_zebras = classify(classifier, horses), classify(classifier, zebras)
    correct = int(np.sum(real_horses[1].argmax(1) == HORSE)
                  + np.sum(real_zebras[1].argmax(1) == ZEBRA))
    accuracy = correct / (len(horses) + len(zebras))
    print(f"classifier accuracy on the untranslated test images: {100 * accuracy:.2f}% "
          f"({correct}/{len(horses) + len(zebras)})")

    fake_zebras = translate(model, horses, "a_to_b")
    fake_horses = translate(model, zebras, "b_to_a")
    statistics = feature_statistics(real_horses[0]), feature_statistics(real_zebras[0])
    rows = {"CycleGAN (this model)": domain_figures(classify(classifier, fake_zebras),
                                                    classify(classifier, fake_horses),
                                                    *statistics),
            "identity (untranslated)": domain_figures(real_horses, real_zebras, *statistics)}
    print(f"\n{'':<25} {'horses -> zebras':^24} {'zebras -> horses':^24}")
    print(f"{'images':<25} {'called zebras':>14} {'Fréchet':>9} {'called horses':>14} "
          f"{'Fréchet':>9}")
    for name, figures in rows.items():
        print(f"{name:<25} {100 * figures['horses_called_zebras']:>13.2f}% "
              f"{figures['frechet_horses_to_zebras']:>9.2f} "
              f"{100 * figures['zebras_called_horses']:>13.2f}% "
              f"{figures['frechet_zebras_to_horses']:>9.2f}")
    print("Fréchet: the classifier's features against those of the real test images of the "
          "target domain")
    cyclegan = rows["CycleGAN (this model)"]
    print(f"\ntranslated test horses called zebras: {100 * cyclegan['horses_called_zebras']:.2f}% "
          f"(target >= {100 * CALLED_ZEBRA_TARGET:.0f}%)")
    result = {"examples": int(len(horses) + len(zebras)), "horses": int(len(horses)),
              "zebras": int(len(zebras)), "classifier": str(classifier_path),
              "classifier_trained_now": trained_now, "classifier_accuracy": round(accuracy, 5),
              "cyclegan": cyclegan, "identity": rows["identity (untranslated)"]}
    return (result, [horses, fake_zebras, zebras, fake_horses],
            ["horse", "a_to_b(horse)", "zebra", "b_to_a(zebra)"])


EVALUATIONS: dict[str, Evaluation] = {
    "pix2pix_mnist_inpaint": evaluate_inpainting,
    "pix2pix_facades": evaluate_facades,
    "cyclegan_mnist_restyle": evaluate_restyle,
    "cyclegan_horse2zebra": evaluate_horse2zebra,
}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    try:
        model = _load(args.model, args.entry, writing=args.update_metadata)
        ablation = _load_ablation(args.ablation, args.entry) if args.ablation else None
        figures, columns, names = EVALUATIONS[args.entry](args, model, ablation)
    except ZooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    result = {"entry": args.entry, "model": _version(model), "split": args.split, **figures}
    rows_shown = args.rows or ENTRIES[args.entry].rows
    picture = args.picture or Path("runs/translation_quality") / f"{args.entry}.png"
    save_png(picture, example_rows(columns, rows_shown, rgb=True))
    print(f"picture ({' | '.join(names)}): {picture}")
    result["seconds"] = round(time.perf_counter() - start, 1)
    print(json.dumps(result))
    if args.update_metadata:
        print(f"recorded in {record_evaluation(model.path, 'translation_quality', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
