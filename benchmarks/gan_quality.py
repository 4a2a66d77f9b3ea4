"""Sample quality of an exported MNIST GAN, judged by an MNIST classifier trained here.

A small CNN classifier is trained on real MNIST (or loaded from the run folder,
where it is cached) and then looks at `--count` images drawn from the export:

- the share of each digit among them, and the reverse KL divergence of that
  distribution to the uniform one, KL(p_generated || uniform) = sum p log(10 p):
  0 when every digit is drawn equally often, log 10 = 2.303 nats when only one
  digit is (mode collapse);
- the classifier's mean confidence (mean max softmax probability), low for
  images that look like no digit;
- the Fréchet distance (Heusel et al. 2017) between Gaussians fitted to the
  classifier's penultimate features of the generated and of held-out real
  images: FID's recipe with an MNIST classifier in place of Inception, so the
  figures compare within this benchmark, not with published FIDs. The same
  distance between the classifier's training images and the held-out images is
  printed beside it as the floor that real digits reach;
- for a class-conditional export, which draws the same number of images of
  each class, the classifier's accuracy against the requested classes.

The classifier, its cache, the draws and the figures are `zoo.evaluation`'s
(`classifiers`, `cache`, `sampling`, `coverage`, `frechet`); this script reads
the data, reports and records. Run from the repository root (reads
../shared/data by default: the first 8,000 images of the MNIST test split train
the classifier, the last 2,000 are the held-out real images):

    python benchmarks/gan_quality.py --entry dcgan_mnist
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from zoo.console import VERBOSE_HELP, quiet_script

# Before the imports below load TensorFlow: its start-up lines hidden unless --verbose
# (so they follow a call, which E402 would flag).
# ruff: noqa: E402
quiet_script()

import numpy as np

import zoo
from zoo.data import load_mnist
from zoo.errors import ConfigurationError, ZooError
from zoo.evaluation.cache import CLASSIFIER_FILE
from zoo.evaluation.classifiers import (DIGIT_CLASSES, DIGIT_IMAGE_SHAPE, classify,
                                        load_or_train_digit_classifier)
from zoo.evaluation.coverage import class_shares, reverse_kl_to_uniform
from zoo.evaluation.frechet import feature_statistics, frechet_distance
from zoo.evaluation.sampling import is_conditional, sample_images
from zoo.export import record_evaluation
from zoo.paths import model_argument
from zoo.registry import ENTRIES

GAN_ENTRIES = sorted(name for name, entry in ENTRIES.items()
                     if entry.family == "gan" and entry.data.dataset == "mnist")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--entry", choices=GAN_ENTRIES, default="dcgan_mnist",
                        help="the GAN entry; its newest export is used unless --model is given")
    parser.add_argument("--model", default=None,
                        help="export name or directory (default: the entry's name)")
    parser.add_argument("--data-dir", default="../shared/data/mnist",
                        help="MNIST IDX folder or tensorflow-datasets data_dir")
    parser.add_argument("--train-split", default="test[:8000]",
                        help="real images the classifier is trained on (the floor's first side)")
    parser.add_argument("--held-out-split", default="test[8000:]",
                        help="real images the generated ones are compared with")
    parser.add_argument("--count", type=int, default=10_000, help="images to generate")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the first sample() call; each further call adds 1")
    parser.add_argument("--chunk", type=int, default=1000, help="images per sample() call")
    parser.add_argument("--run-dir", default="runs/gan_quality",
                        help=f"folder caching the classifier ({CLASSIFIER_FILE})")
    parser.add_argument("--classifier-epochs", type=int, default=10,
                        help="training epochs of the classifier when it is not cached")
    parser.add_argument("--classifier-batch-size", type=int, default=64,
                        help="training batch of the classifier")
    parser.add_argument("--update-metadata", action="store_true",
                        help="write the figures into the export's zoo.json under "
                             "evaluation.gan_quality")
    # Read by quiet_script() from the command line, before the parser runs.
    parser.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help=VERBOSE_HELP)
    args = parser.parse_args(argv)
    for name in ("count", "chunk", "classifier_epochs", "classifier_batch_size"):
        value = getattr(args, name)
        if value < 1:
            parser.error(f"--{name.replace('_', '-')} must be positive; got {value}")
    if args.count < 2:
        parser.error(f"--count must be at least 2 for a covariance; got {args.count}")
    return args


def _load_inputs(args: argparse.Namespace):
    exported = zoo.load(model_argument(args.model or args.entry, writing=args.update_metadata))
    if exported.name != args.entry:
        raise ConfigurationError(f"{exported.path} is an export of {exported.name!r}, not "
                                 f"{args.entry!r}; pass --entry {exported.name}.")
    sample = exported.signatures.get("sample")
    if sample is None or [spec.name for spec in sample.inputs][:2] != ["count", "seed"]:
        raise ConfigurationError(f"{exported.path} has no sample(count, seed) signature; it is "
                                 "not a GAN export.")
    splits = {}
    for role, split in (("train", args.train_split), ("held-out", args.held_out_split)):
        images, labels = load_mnist(split, args.data_dir)
        if len(images) < 2:
            raise ConfigurationError(f"the {role} split {split!r} holds {len(images)} images; "
                                     "the Fréchet distance needs at least 2.")
        splits[role] = images, labels
    return exported, splits["train"], splits["held-out"]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    try:
        exported, (train_images, train_labels), (held_images, held_labels) = _load_inputs(args)
        print(f"classifier: {len(train_images)} images of {args.train_split}, held-out: "
              f"{len(held_images)} images of {args.held_out_split}, from {args.data_dir}",
              flush=True)
        classifier_start = time.perf_counter()
        classifier, trained_now = load_or_train_digit_classifier(
            args.run_dir, train_images, train_labels, args.classifier_epochs,
            args.classifier_batch_size)
    except ZooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    classifier_path = Path(args.run_dir) / CLASSIFIER_FILE
    if trained_now:
        print(f"trained the classifier for {args.classifier_epochs} epochs in "
              f"{time.perf_counter() - classifier_start:.0f} s, saved to {classifier_path}")
    else:
        print(f"loaded the cached classifier {classifier_path}")

    train_features, _ = classify(classifier, train_images)
    held_features, held_probabilities = classify(classifier, held_images)
    held_correct = int(np.sum(held_probabilities.argmax(axis=1) == held_labels))
    held_accuracy = held_correct / len(held_labels)
    print(f"classifier held-out accuracy: {100 * held_accuracy:.2f}% ({held_correct}/"
          f"{len(held_labels)} of {args.held_out_split})")

    conditional = is_conditional(exported)
    try:
        images, requested = sample_images(exported, args.count, args.seed, args.chunk)
    except ZooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if images.shape[1:] != DIGIT_IMAGE_SHAPE:
        print(f"error: {exported.path} makes images of shape {images.shape[1:]}, not the "
              f"MNIST {DIGIT_IMAGE_SHAPE}.", file=sys.stderr)
        return 2
    per_class = f" ({len(images) // DIGIT_CLASSES} per class)" if conditional else ""
    print(f"generated: {len(images)} images{per_class} from {exported.path}, seeds from "
          f"{args.seed}")

    features, probabilities = classify(classifier, images)
    predicted = probabilities.argmax(axis=1)
    shares = class_shares(predicted, DIGIT_CLASSES)
    kl = reverse_kl_to_uniform(shares)
    confidence = float(probabilities.max(axis=1).mean())
    held_statistics = feature_statistics(held_features)
    distance = frechet_distance(*feature_statistics(features), *held_statistics)
    floor = frechet_distance(*feature_statistics(train_features), *held_statistics)
    if conditional:
        class_accuracy = [float(np.mean(predicted[requested == digit] == digit))
                          for digit in range(DIGIT_CLASSES)]
        accuracy = float(np.mean(predicted == requested))

    print(f"\n{'digit':>5} {'share':>7}" + (f" {'accuracy':>9}" if conditional else ""))
    for digit in range(DIGIT_CLASSES):
        row = f"{digit:>5} {shares[digit]:>7.3f}"
        print(row + (f" {class_accuracy[digit]:>9.3f}" if conditional else ""))
    dim = train_features.shape[1]
    print(f"\nreverse KL to uniform, KL(p_generated || uniform): {kl:.4f} nats "
          f"(0 = every digit equally often, {np.log(DIGIT_CLASSES):.3f} = one digit only)")
    print(f"mean classifier confidence on generated images: {confidence:.4f}")
    if conditional:
        print(f"classifier accuracy against the requested digits: {accuracy:.4f}")
    print(f"Fréchet distance, classifier features ({dim}-D), generated ({len(images)}) vs "
          f"held-out real ({len(held_images)}): {distance:.3f}")
    print(f"Fréchet distance floor, training real ({len(train_images)}) vs held-out real "
          f"({len(held_images)}): {floor:.3f}")

    result = {
        "entry": args.entry, "model": f"{exported.name} version {exported.path.name}",
        "conditional": conditional,
        "data": f"MNIST from {args.data_dir}", "train_split": args.train_split,
        "held_out_split": args.held_out_split, "classifier": str(classifier_path),
        "classifier_trained_now": trained_now,
        "classifier_held_out_accuracy": round(held_accuracy, 5),
        "generated_images": int(len(images)), "train_images": int(len(train_images)),
        "held_out_images": int(len(held_images)), "seed": args.seed,
        "digit_shares": [round(float(share), 6) for share in shares],
        "reverse_kl_to_uniform": round(kl, 6), "mean_confidence": round(confidence, 6),
        "feature_dim": int(dim), "frechet_distance": round(distance, 4),
        "frechet_distance_real_floor": round(floor, 4),
        "conditional_accuracy": round(accuracy, 5) if conditional else None,
        "seconds": round(time.perf_counter() - start, 1),
    }
    print(json.dumps(result))
    if args.update_metadata:
        print(f"recorded in {record_evaluation(exported.path, 'gan_quality', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
