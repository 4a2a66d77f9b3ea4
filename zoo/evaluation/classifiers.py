"""The feature classifiers the benchmarks judge images with, trained here and cached.

Two small CNNs, each with a penultimate `features` layer, the space the
Fréchet distance is computed in (FID's recipe with a classifier of the data in
place of Inception, so the figures compare within a benchmark, not with
published FIDs):

- the digit classifier (`build_digit_classifier`), trained on real MNIST digits,
  greyscale or in colour; it judges generated digits, completed digits and
  restyled digits;
- the domain classifier (`build_domain_classifier`), telling horses from zebras
  at a model's image size.

`load_or_train_digit_classifier` and `load_or_train_domain_classifier` reuse
the classifier cached in a run folder when it was trained on the same data with
the same settings (`zoo.evaluation.cache`), and otherwise train one with a
fixed seed and cache it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from zoo.data import load_examples
from zoo.data.augment import resize
from zoo.data.folders import decode_rgb
from zoo.evaluation.cache import load_or_train

__all__ = ["DIGIT_CLASSES", "DIGIT_IMAGE_SHAPE", "FEATURE_LAYER", "HORSE", "ZEBRA",
           "build_digit_classifier", "build_domain_classifier", "classify",
           "domain_training_files", "load_or_train_digit_classifier",
           "load_or_train_domain_classifier"]

FEATURE_LAYER = "features"
DIGIT_CLASSES = 10
DIGIT_IMAGE_SHAPE = (28, 28, 1)
# Bumped whenever build_digit_classifier changes, so an older cached classifier is not reused.
DIGIT_CLASSIFIER_ARCHITECTURE = "cnn32-64-64-dense128-v1"
DIGIT_CLASSIFIER_SEED = 0

HORSE, ZEBRA = 0, 1
# Bumped whenever build_domain_classifier or its training changes, so that an older
# cache is not reused.
DOMAIN_CLASSIFIER_ARCHITECTURE = "flip-cnn16-32-64-128-stride2-bn0.9-gap-dense128-v1"
DOMAIN_CLASSIFIER_BATCH = 32
DOMAIN_CLASSIFIER_SEED = 0
PREDICT_BATCH = 500


def build_digit_classifier(num_classes: int = DIGIT_CLASSES, feature_units: int = 128,
                           image_shape: tuple[int, int, int] = DIGIT_IMAGE_SHAPE) -> keras.Model:
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
        >>> build_digit_classifier().get_layer("features").units
        128
        >>> build_digit_classifier(image_shape=(28, 28, 3)).input_shape
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


def build_domain_classifier(image_size: int, feature_units: int = 128) -> keras.Model:
    """A small CNN telling horses (class 0) from zebras (class 1), with a `features` layer.

    Random horizontal mirroring (active in training only), four stride-2 3x3 convolutions
    (16, 32, 64 and 128 filters, the first 5x5) with batch norm (momentum 0.9, so that its
    statistics settle within a few short epochs) and ReLU, global average
    pooling, then the `features` layer (ReLU), the space the Fréchet distance is
    computed in, and a 2-way softmax.

    Args:
        image_size: height and width of the square RGB images, float in [0, 1].
        feature_units: width of the `features` layer.

    Returns:
        An uncompiled functional model from (batch, image_size, image_size, 3) images to
        the two class probabilities.

    Example:
        >>> model = build_domain_classifier(16)
        >>> model.get_layer("features").units, model.output_shape
        (128, (None, 2))
    """
    inputs = keras.Input((image_size, image_size, 3), name="images")
    x = keras.layers.RandomFlip("horizontal", seed=DOMAIN_CLASSIFIER_SEED)(inputs)
    for filters, kernel in ((16, 5), (32, 3), (64, 3), (128, 3)):
        x = keras.layers.Conv2D(filters, kernel, strides=2, padding="same", use_bias=False)(x)
        x = keras.layers.BatchNormalization(momentum=0.9)(x)
        x = keras.layers.ReLU()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    features = keras.layers.Dense(feature_units, activation="relu", name=FEATURE_LAYER)(x)
    x = keras.layers.Dropout(0.3)(features)
    outputs = keras.layers.Dense(2, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="horse_zebra_classifier")


def _to_unit(images: np.ndarray) -> np.ndarray:
    return images.astype(np.float32) / 255.0 if images.dtype == np.uint8 else \
        images.astype(np.float32)


def _compiled(classifier: keras.Model) -> keras.Model:
    classifier.compile(optimizer=keras.optimizers.Adam(1e-3),
                       loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return classifier


def _progress(epochs: int) -> keras.callbacks.Callback:
    """One line an epoch: the classifier's training loss and accuracy."""
    return keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: print(
        f"  classifier epoch {epoch + 1}/{epochs}: loss {logs['loss']:.4f}, training accuracy "
        f"{logs['accuracy']:.4f}", flush=True))


def _digit_record(images: np.ndarray, labels: np.ndarray, epochs: int,
                  batch_size: int) -> dict[str, Any]:
    digest = hashlib.sha256(np.ascontiguousarray(images).tobytes())
    digest.update(np.ascontiguousarray(labels, np.int64).tobytes())
    return {"architecture": DIGIT_CLASSIFIER_ARCHITECTURE, "train_images": int(len(images)),
            "train_data_sha256": digest.hexdigest(), "epochs": epochs,
            "batch_size": batch_size, "seed": DIGIT_CLASSIFIER_SEED}


def load_or_train_digit_classifier(run_dir: str | os.PathLike, images: np.ndarray,
                                   labels: np.ndarray, epochs: int, batch_size: int,
                                   run_dir_flag: str = "--run-dir"
                                   ) -> tuple[keras.Model, bool]:
    """The digit classifier cached in `run_dir`, or one trained now and cached there.

    Trained with a fixed seed and Adam (1e-3), one progress line an epoch. Its
    record holds the architecture, a hash of the images and labels, and the settings.

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

    Usage (needs a data set, or trains):
        model, trained = load_or_train_digit_classifier("runs/gan_quality", *load_mnist(
            "test[:8000]", "data/mnist"), epochs=10, batch_size=64)
    """
    def train() -> keras.Model:
        keras.utils.set_random_seed(DIGIT_CLASSIFIER_SEED)
        classifier = _compiled(build_digit_classifier(image_shape=images.shape[1:]))
        classifier.fit(_to_unit(images), labels, epochs=epochs, batch_size=batch_size,
                       verbose=0, callbacks=[_progress(epochs)])
        return classifier

    return load_or_train(run_dir, _digit_record(images, labels, epochs, batch_size), train,
                         run_dir_flag)


def domain_training_files(split: str, data_dir: str | os.PathLike
                          ) -> tuple[np.ndarray, np.ndarray]:
    """The image files of a horse2zebra split: horses (A, class 0), then zebras (B, class 1).

    Usage (needs a data set, or trains):
        paths, labels = domain_training_files("train", "data/horse2zebra")
    """
    examples = load_examples("horse2zebra", split, data_dir)
    paths = [examples.domains[domain].features["path"] for domain in ("a", "b")]
    labels = [np.full(len(files), label, np.int64) for files, label in zip(paths, (HORSE, ZEBRA))]
    return np.concatenate(paths), np.concatenate(labels)


def _files_digest(paths: np.ndarray, labels: np.ndarray) -> str:
    """A hash of each file's folder, name, class and contents, so any change is noticed."""
    digest = hashlib.sha256()
    for path, label in zip(paths, labels):
        path = Path(str(path))
        digest.update(f"{label} {path.parent.name}/{path.name} ".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _domain_record(paths: np.ndarray, labels: np.ndarray, image_size: int,
                   epochs: int) -> dict[str, Any]:
    return {"architecture": DOMAIN_CLASSIFIER_ARCHITECTURE, "image_size": image_size,
            "train_files": int(len(paths)), "train_files_sha256": _files_digest(paths, labels),
            "epochs": epochs, "batch_size": DOMAIN_CLASSIFIER_BATCH,
            "seed": DOMAIN_CLASSIFIER_SEED}


def load_or_train_domain_classifier(run_dir: str | os.PathLike, paths: np.ndarray,
                                    labels: np.ndarray, image_size: int, epochs: int,
                                    run_dir_flag: str = "--classifier-run-dir"
                                    ) -> tuple[keras.Model, bool]:
    """The horse-vs-zebra classifier cached in `run_dir`, or one trained now and cached there.

    Trained with a fixed seed on the files decoded and resized as the model's data
    layer does it (`decode_rgb`, then `resize`), shuffled every epoch, with Adam
    (1e-3); one progress line an epoch. Its record holds the architecture, the
    image size, a hash of the training files and the settings.

    Args:
        run_dir: the folder holding `classifier.keras`; created when missing.
        paths: the training image files.
        labels: their classes, 0 horse and 1 zebra.
        image_size: the size the images are resized to (the export's).
        epochs: training epochs.
        run_dir_flag: the command-line flag that sets `run_dir`, named in the error.

    Returns:
        `(classifier, trained_now)`.

    Raises:
        ClassifierCacheError: the cached classifier was trained on other files or with
            other settings.

    Usage (needs a data set, or trains):
        model, trained = load_or_train_domain_classifier(
            "runs/h2z", *domain_training_files("train", "data/horse2zebra"),
            image_size=128, epochs=8)
    """
    def read(path: tf.Tensor, label: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return resize({"image": decode_rgb(path)}, ("image",), image_size)["image"], label

    def train() -> keras.Model:
        keras.utils.set_random_seed(DOMAIN_CLASSIFIER_SEED)
        dataset = (tf.data.Dataset.from_tensor_slices((paths, labels))
                   .shuffle(len(paths), seed=DOMAIN_CLASSIFIER_SEED, reshuffle_each_iteration=True)
                   .map(read, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
                   .batch(DOMAIN_CLASSIFIER_BATCH).prefetch(tf.data.AUTOTUNE))
        classifier = _compiled(build_domain_classifier(image_size))
        classifier.fit(dataset, epochs=epochs, shuffle=False, verbose=0,
                       callbacks=[_progress(epochs)])
        return classifier

    return load_or_train(run_dir, _domain_record(paths, labels, image_size, epochs), train,
                         run_dir_flag)


def classify(classifier: keras.Model, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The classifier's penultimate features and class probabilities for images.

    Args:
        classifier: a model of this module (trained or loaded), or any model with a
            `features` layer and class probabilities as its output.
        images: images of the classifier's input shape ((N, 28, 28, 1) for MNIST),
            uint8 in [0, 255] or float in [0, 1].

    Returns:
        `(features, probabilities)`, float32 of shapes (N, feature units) and (N, classes).

    Example:
        >>> features, probabilities = classify(build_digit_classifier(),
        ...                                    np.zeros((2, 28, 28, 1)))
        >>> features.shape, probabilities.shape
        ((2, 128), (2, 10))
    """
    both = keras.Model(classifier.inputs,
                       [classifier.get_layer(FEATURE_LAYER).output, classifier.outputs[0]])
    features, probabilities = both.predict(_to_unit(images), batch_size=PREDICT_BATCH, verbose=0)
    return np.asarray(features), np.asarray(probabilities)
