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

Run from the repository root (reads ../shared/data by default: the first 8,000
images of the MNIST test split train the classifier, the last 2,000 are the
held-out real images):

    python benchmarks/gan_quality.py --entry dcgan_mnist
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import keras
import numpy as np

import zoo
from zoo.data import load_mnist
from zoo.errors import ConfigurationError, ZooError
from zoo.evaluation.frechet import feature_statistics, frechet_distance
from zoo.export import record_evaluation
from zoo.images import write_atomically
from zoo.loading import ExportedModel
from zoo.paths import model_argument
from zoo.registry import ENTRIES

NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28, 1)
FEATURE_LAYER = "features"
CLASSIFIER_FILE = "classifier.keras"
# Provenance of the cached classifier: a cache trained on other data or settings would
# silently change the feature space, and with it every Fréchet distance.
CLASSIFIER_RECORD = "classifier.json"
# Bumped whenever build_classifier changes, so an older cached classifier is not reused.
CLASSIFIER_ARCHITECTURE = "cnn32-64-64-dense128-v1"
CLASSIFIER_SEED = 0
PREDICT_BATCH = 500
GAN_ENTRIES = sorted(name for name, entry in ENTRIES.items()
                     if entry.family == "gan" and entry.data.dataset == "mnist")


class ClassifierCacheError(ZooError):
    """The cached classifier was trained on other data or with other settings."""


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
    args = parser.parse_args(argv)
    for name in ("count", "chunk", "classifier_epochs", "classifier_batch_size"):
        value = getattr(args, name)
        if value < 1:
            parser.error(f"--{name.replace('_', '-')} must be positive; got {value}")
    if args.count < 2:
        parser.error(f"--count must be at least 2 for a covariance; got {args.count}")
    return args


def build_classifier(num_classes: int = NUM_CLASSES, feature_units: int = 128,
                     image_shape: tuple[int, int, int] = IMAGE_SHAPE) -> keras.Model:
    """A small MNIST CNN whose penultimate dense layer, `features`, is the feature space.

    Args:
        num_classes: number of softmax outputs.
        feature_units: width of the `features` layer (ReLU), the space the Fréchet
            distance is computed in.
        image_shape: (height, width, channels) of the images: greyscale MNIST by
            default, (28, 28, 3) for digits in colour.

    Returns:
        An uncompiled functional model from (batch, *image_shape) images in [0, 1] to
        class probabilities.

    Example:
        >>> build_classifier().get_layer("features").units
        128
        >>> build_classifier(image_shape=(28, 28, 3)).input_shape
        (None, 28, 28, 3)
    """
    inputs = keras.Input(tuple(image_shape), name="images")
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(0.25)(x)
    features = keras.layers.Dense(feature_units, activation="relu", name=FEATURE_LAYER)(x)
    x = keras.layers.Dropout(0.5)(features)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="mnist_classifier")


def _to_unit(images: np.ndarray) -> np.ndarray:
    return images.astype(np.float32) / 255.0 if images.dtype == np.uint8 else \
        images.astype(np.float32)


def _training_record(images: np.ndarray, labels: np.ndarray, epochs: int,
                     batch_size: int) -> dict:
    digest = hashlib.sha256(np.ascontiguousarray(images).tobytes())
    digest.update(np.ascontiguousarray(labels, np.int64).tobytes())
    return {"architecture": CLASSIFIER_ARCHITECTURE, "train_images": int(len(images)),
            "train_data_sha256": digest.hexdigest(), "epochs": epochs,
            "batch_size": batch_size, "seed": CLASSIFIER_SEED}


def load_or_train_classifier(run_dir: str | os.PathLike, images: np.ndarray, labels: np.ndarray,
                             epochs: int, batch_size: int, run_dir_flag: str = "--run-dir"
                             ) -> tuple[keras.Model, bool]:
    """The classifier cached in `run_dir`, or one trained now and cached there.

    The model is written under a temporary name in `run_dir` and renamed into place, so
    a crash or a concurrent run never leaves half a file. Beside it, `classifier.json`
    records what it was trained on (a hash of the images and labels) and how.

    Args:
        run_dir: the folder holding `classifier.keras`; created when missing.
        images: training images, (N, 28, 28, 1) uint8 in [0, 255] or float in [0, 1];
            the classifier takes images of their shape, (N, 28, 28, 3) for colour.
        labels: their digits, (N,).
        epochs: training epochs.
        batch_size: training batch.
        run_dir_flag: the command-line flag that sets `run_dir`, named in the error.

    Returns:
        `(classifier, trained_now)`.

    Raises:
        ClassifierCacheError: the cached classifier was trained on other images or with
            other settings.

    Example:
        >>> model, trained = load_or_train_classifier("runs/gan_quality", *load_mnist(
        ...     "test[:8000]", "../shared/data/mnist"), epochs=10, batch_size=64)  # doctest: +SKIP
    """
    run_dir = Path(run_dir)
    wanted = _training_record(images, labels, epochs, batch_size)
    cached = cached_classifier(run_dir, wanted, run_dir_flag)
    if cached is not None:
        return cached, False

    keras.utils.set_random_seed(CLASSIFIER_SEED)
    classifier = build_classifier(image_shape=images.shape[1:])
    classifier.compile(optimizer=keras.optimizers.Adam(1e-3),
                       loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    progress = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: print(
        f"  classifier epoch {epoch + 1}/{epochs}: loss {logs['loss']:.4f}, training accuracy "
        f"{logs['accuracy']:.4f}", flush=True))
    classifier.fit(_to_unit(images), labels, epochs=epochs, batch_size=batch_size, verbose=0,
                   callbacks=[progress])
    save_classifier(classifier, run_dir, wanted)
    return classifier, True


def cached_classifier(run_dir: Path, wanted: dict, run_dir_flag: str) -> keras.Model | None:
    """The classifier cached in `run_dir` if its record matches `wanted`; None if there is
    none, or no readable record (a classifier of unknown provenance, to be replaced).

    Raises:
        ClassifierCacheError: the record differs from `wanted`; the message names what
            differs and `run_dir_flag`, the flag that picks another folder.
    """
    path = run_dir / CLASSIFIER_FILE
    if not path.is_file():
        return None
    try:
        cached = json.loads((run_dir / CLASSIFIER_RECORD).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(cached, dict):
        return None
    differing = sorted(key for key in wanted if cached.get(key) != wanted[key])
    if differing:
        described = ", ".join(f"{key} {cached.get(key)!r} (this run: {wanted[key]!r})"
                              for key in differing)
        raise ClassifierCacheError(
            f"the cached classifier {path} was trained with {described}; pass another "
            f"{run_dir_flag}, or delete it to train a new one.")
    return keras.models.load_model(path, compile=False)


def save_classifier(classifier: keras.Model, run_dir: Path, record: dict) -> None:
    """The classifier and its record written into `run_dir` under temporary names and
    renamed into place, so a crash or a concurrent run never leaves half a file."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path, record_path = run_dir / CLASSIFIER_FILE, run_dir / CLASSIFIER_RECORD
    handle, temporary = tempfile.mkstemp(dir=run_dir, prefix=f".{CLASSIFIER_FILE}.",
                                         suffix=".keras")
    os.close(handle)
    try:
        classifier.save(temporary)
        # mkstemp makes the file private; the cache is meant to be shared by later runs.
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    write_atomically(record_path, (json.dumps(record, indent=2) + "\n").encode())
    record_path.chmod(0o644)


def classify(classifier: keras.Model, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The classifier's penultimate features and class probabilities for images.

    Args:
        classifier: a model from `build_classifier` (trained or loaded), or any model
            with a `features` layer and class probabilities as its output.
        images: images of the classifier's input shape ((N, 28, 28, 1) for MNIST),
            uint8 in [0, 255] or float in [0, 1].

    Returns:
        `(features, probabilities)`, float32 of shapes (N, feature units) and (N, classes).

    Example:
        >>> features, probabilities = classify(build_classifier(), np.zeros((2, 28, 28, 1)))
        >>> features.shape, probabilities.shape
        ((2, 128), (2, 10))
    """
    both = keras.Model(classifier.inputs,
                       [classifier.get_layer(FEATURE_LAYER).output, classifier.outputs[0]])
    features, probabilities = both.predict(_to_unit(images), batch_size=PREDICT_BATCH, verbose=0)
    return np.asarray(features), np.asarray(probabilities)


def is_conditional(exported: ExportedModel) -> bool:
    """Whether an export's `sample` signature takes the class to draw (`label`).

    Args:
        exported: a loaded GAN export.

    Returns:
        True for a class-conditional export.

    Example:
        >>> is_conditional(zoo.load("cgan_mnist"))  # doctest: +SKIP
        True
    """
    return any(spec.name == "label" for spec in exported.signatures["sample"].inputs)


def sample_images(exported: ExportedModel, count: int, seed: int,
                  chunk: int = 1000) -> tuple[np.ndarray, np.ndarray | None]:
    """Draws images from a GAN export through `sample`, in chunks.

    Call i (counted from 0 over the whole draw) uses seed `seed + i`, so no two calls
    share latent vectors. A class-conditional export draws `count // classes` images of
    each class.

    Args:
        exported: a loaded GAN export with `sample(count, seed[, label])`.
        count: images to draw (in total, over all classes).
        seed: seed of the first call.
        chunk: images per call; capped by the signature's largest `count`.

    Returns:
        `(images, labels)`: float32 (n, H, W, C) images in [0, 1], and for a conditional
        export the requested class of each (int64), else None.

    Raises:
        ValueError: a conditional export asked for fewer images than it has classes.

    Example:
        >>> images, labels = sample_images(zoo.load("dcgan_mnist"), 100, seed=0)  # doctest: +SKIP
        >>> images.shape, labels  # doctest: +SKIP
        ((100, 28, 28, 1), None)
    """
    inputs = {spec.name: spec for spec in exported.signatures["sample"].inputs}
    if inputs["count"].maximum is not None:
        chunk = min(chunk, int(inputs["count"].maximum))
    if "label" in inputs:
        classes = int(inputs["label"].maximum) + 1
        if count < classes:
            raise ConfigurationError(f"--count must be at least {classes}, one image per class "
                                     f"of the conditional export; got {count}.")
        requests = [(label, count // classes) for label in range(classes)]
    else:
        requests = [(None, count)]
    images, labels, call = [], [], 0
    for label, total in requests:
        for start in range(0, total, chunk):
            size = min(chunk, total - start)
            arguments = (size, seed + call) if label is None else (size, seed + call, label)
            images.append(np.asarray(exported.sample(*arguments), np.float32))
            labels.append(np.full(size, -1 if label is None else label, np.int64))
            call += 1
    conditional = requests[0][0] is not None
    return np.concatenate(images), np.concatenate(labels) if conditional else None


def reverse_kl_to_uniform(shares: np.ndarray) -> float:
    """KL(p || uniform) = sum_k p_k log(K p_k) in nats, with 0 log 0 = 0.

    Args:
        shares: a distribution over K classes.

    Returns:
        The divergence, 0 for the uniform distribution and log K for a single class.

    Example:
        >>> round(reverse_kl_to_uniform(np.array([1.0, 0.0, 0.0, 0.0])), 4)  # log 4
        1.3863
    """
    shares = np.asarray(shares, np.float64)
    present = shares[shares > 0]
    # Gibbs' inequality makes it >= 0; rounding near the uniform can dip below.
    return float(max(np.sum(present * np.log(len(shares) * present)), 0.0))


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
        classifier, trained_now = load_or_train_classifier(
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
    if images.shape[1:] != IMAGE_SHAPE:
        print(f"error: {exported.path} makes images of shape {images.shape[1:]}, not the "
              f"MNIST {IMAGE_SHAPE}.", file=sys.stderr)
        return 2
    per_class = f" ({len(images) // NUM_CLASSES} per class)" if conditional else ""
    print(f"generated: {len(images)} images{per_class} from {exported.path}, seeds from "
          f"{args.seed}")

    features, probabilities = classify(classifier, images)
    predicted = probabilities.argmax(axis=1)
    shares = np.bincount(predicted, minlength=NUM_CLASSES) / len(predicted)
    kl = reverse_kl_to_uniform(shares)
    confidence = float(probabilities.max(axis=1).mean())
    held_statistics = feature_statistics(held_features)
    distance = frechet_distance(*feature_statistics(features), *held_statistics)
    floor = frechet_distance(*feature_statistics(train_features), *held_statistics)
    if conditional:
        class_accuracy = [float(np.mean(predicted[requested == digit] == digit))
                          for digit in range(NUM_CLASSES)]
        accuracy = float(np.mean(predicted == requested))

    print(f"\n{'digit':>5} {'share':>7}" + (f" {'accuracy':>9}" if conditional else ""))
    for digit in range(NUM_CLASSES):
        row = f"{digit:>5} {shares[digit]:>7.3f}"
        print(row + (f" {class_accuracy[digit]:>9.3f}" if conditional else ""))
    dim = train_features.shape[1]
    print(f"\nreverse KL to uniform, KL(p_generated || uniform): {kl:.4f} nats "
          f"(0 = every digit equally often, {np.log(NUM_CLASSES):.3f} = one digit only)")
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
