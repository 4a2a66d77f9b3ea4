"""The data sets the zoo's entries train on, by name, each loaded as `Examples`.

- `mnist`: `image` uint8 28x28x1 and `label`, from tensorflow-datasets, or
  from MNIST IDX files (or a tfds data_dir) in `--data-dir`.
- `mnist_inpaint`: `input` and `target` float 32x32x1, and `label`; as `mnist`.
- `facades`: `input` label map and `target` photo, RGB, from the pix2pix
  authors' archive, or from a paired folder in `--data-dir`.
- `horse2zebra`: unpaired horses (A) and zebras (B), RGB, from tensorflow-datasets
  (`cycle_gan/horse2zebra`), or from an unpaired folder in `--data-dir`.
- `mnist_restyle`: unpaired plain digits (A, the first half of the split) and
  restyled digits (B, the second half through `zoo.data.tasks.restyle`); as `mnist`.
- `flowers`: `image` uint8 64x64x3, Oxford Flowers 102 from tensorflow-datasets
  (`oxford_flowers102`), or every image under `--data-dir`, center-cropped to a square
  and resized as keras-io's DDIM example does (see `_flowers`).

A new data set is a loader here and a name in `DATASETS`; the runtime reads
entries' data only through `load_examples` and the streams of what it returns
(`Examples`, or `UnpairedExamples` for two domains). A data set whose examples
carry a class `label` is also named in `LABELLED`: its entries' recipes then take
`--normal-class C`, which trains (and holds out) only the examples of class C.
"""

from __future__ import annotations

import functools
import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import tensorflow as tf

from zoo.data.examples import Examples, UnpairedExamples
from zoo.data.folders import (IMAGE_SUFFIXES, PAIRED_SPLITS, UNPAIRED_SPLITS, image_files,
                              paired_folder, unpaired_folder)
from zoo.data.mnist import load_mnist
from zoo.data.network import first_line, probe
from zoo.data.splits import Split, parse_split
from zoo.data.tasks import inpainting_pair, plain_rgb, restyled
from zoo.errors import DataError, DataUnavailableError
from zoo.images import decode_image, read_image, resize_image

FACADES_URL = "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/facades.tar.gz"
HORSE2ZEBRA_TFDS = "cycle_gan/horse2zebra"
# Where tensorflow-datasets downloads it from (the authors' archive).
HORSE2ZEBRA_URL = "https://efrosgans.eecs.berkeley.edu/cyclegan/datasets/horse2zebra.zip"
HORSE2ZEBRA_LAYOUT = ("a folder with trainA/, trainB/, testA/ and testB/ subfolders of images, "
                      "horses in the *A folders and zebras in the *B folders (the CycleGAN "
                      "authors' horse2zebra layout)")
FLOWERS_TFDS = "oxford_flowers102"
# Where tensorflow-datasets downloads it from (the Visual Geometry Group's archive).
FLOWERS_URL = "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/102flowers.tgz"
FLOWERS_TFDS_SPLITS = ("train", "validation", "test")
"""tensorflow-datasets' splits of Oxford Flowers 102 (1,020, 1,020 and 6,149 images), pooled
in this order as the `flowers` split base `all`."""
FLOWERS_SPLITS = ("all",)
FLOWERS_SIZE = 64
"""The height and width of `flowers` images: keras-io's DDIM example's 64 px, fixed here since
a data source does not know its entry's model (`ddim_flowers` has image_shape (64, 64, 3))."""
FLOWERS_LAYOUT = (f"a folder of images ({', '.join(IMAGE_SUFFIXES)} files, in its subfolders "
                  "too)")
FACADES_LAYOUT = ("a folder with train/, val/ and test/ subfolders of side-by-side JPEGs, the "
                  "photo on the left and its label map on the right (the pix2pix authors' "
                  "facades layout)")


def _mnist(split: str, data_dir: Path | None) -> Examples:
    images, labels = load_mnist(split, data_dir)
    return Examples({"image": images, "label": labels}, f"{len(images)} MNIST images ({split})")


def _mnist_inpaint(split: str, data_dir: Path | None) -> Examples:
    images, labels = load_mnist(split, data_dir)
    return Examples({"image": images, "label": labels},
                    f"{len(images)} MNIST digits to inpaint ({split})", transform=inpainting_pair)


def _mnist_restyle(split: str, data_dir: Path | None) -> UnpairedExamples:
    images, labels = load_mnist(split, data_dir)
    half = len(images) // 2
    if not half:
        raise DataError(f"MNIST split {split!r} holds {len(images)} digit(s); the restyling "
                        "task needs at least two (the first half plain, the second restyled).")
    domains = {
        "a": Examples({"image": images[:half], "label": labels[:half]},
                      f"{half} plain MNIST digits", transform=plain_rgb),
        "b": Examples({"image": images[half:], "label": labels[half:]},
                      f"{len(images) - half} restyled MNIST digits", transform=restyled)}
    return UnpairedExamples(domains, f"{half} plain and {len(images) - half} restyled MNIST "
                                     f"digits ({split}: A its first half, B its second)")


def keras_datasets_dir() -> Path:
    """Where `keras.utils.get_file` keeps data sets: $KERAS_HOME/datasets or ~/.keras/datasets."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "datasets"


def check_paired_layout(root: Path, splits: tuple[str, ...] = PAIRED_SPLITS) -> None:
    """Raises DataUnavailableError unless `root` holds an image folder for each split."""
    for split in splits:
        image_files(root / split)


def download_facades(cache: Path | None = None) -> Path:
    """The pix2pix facades folder, downloaded and checked on first use.

    The archive is downloaded and unpacked into a staging folder, its layout is
    checked, and only then is it renamed into place: a failed or partial
    download is never used, and the next call starts afresh. Offline, a
    connection probe fails within seconds instead of retrying for minutes.

    Raises:
        DataUnavailableError: no network, or the download or its layout is bad.
    """
    cache = Path(cache or keras_datasets_dir())
    root = cache / "facades"
    hint = f"download it elsewhere and pass --data-dir FOLDER, {FACADES_LAYOUT}"
    if root.is_dir():
        try:
            check_paired_layout(root)
            return root
        except DataUnavailableError as error:
            raise DataUnavailableError(f"{root} is not a complete facades folder ({error}); "
                                       f"delete it to download again, or {hint}.") from error
    reason = probe(FACADES_URL)
    if reason is not None:
        raise DataUnavailableError(f"Could not download the facades data set from {FACADES_URL} "
                                   f"({reason}); {hint}.")
    import keras

    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=cache, prefix=".facades-"))
    try:
        archive = keras.utils.get_file("facades.tar.gz", FACADES_URL, cache_dir=str(staging),
                                       cache_subdir=".")
        with tarfile.open(archive) as tar:
            tar.extractall(staging, filter="data")
        check_paired_layout(staging / "facades")
        (staging / "facades").rename(root)
    except Exception as error:  # noqa: BLE001 - any failure means the download is unusable
        raise DataUnavailableError(f"Could not download the facades data set from {FACADES_URL} "
                                   f"({first_line(error)}); {hint}.") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return root


def _local_or(fetch: Callable[[], Path], data_dir: Path | None, layout: str) -> Path:
    """`data_dir` when given (it must exist), else the folder `fetch` provides."""
    if data_dir is None:
        return fetch()
    if not Path(data_dir).is_dir():
        raise DataUnavailableError(f"There is no folder {data_dir}; pass --data-dir FOLDER, "
                                   f"{layout}.")
    return Path(data_dir)


def _facades(split: str, data_dir: Path | None) -> Examples:
    root = _local_or(download_facades, data_dir, FACADES_LAYOUT)
    try:
        # Label map (right) -> photo (left): the reference's --direction BtoA.
        return paired_folder(root, split, direction="BtoA", dataset="facades")
    except DataUnavailableError as error:
        raise DataUnavailableError(f"Could not load facades split {split!r}: {error} Pass "
                                   f"--data-dir FOLDER, {FACADES_LAYOUT}.") from error


def _suffix(encoded: bytes) -> str:
    return ".png" if encoded.startswith(b"\x89PNG") else ".jpg"


def _write_tfds_split(dataset, folder: Path) -> None:
    """One tfds split of encoded images, written file by file as the authors' folders hold them."""
    import tensorflow_datasets as tfds

    folder.mkdir()
    for index, example in enumerate(tfds.as_numpy(dataset)):
        encoded = bytes(example["image"])
        (folder / f"{index:05d}{_suffix(encoded)}").write_bytes(encoded)


def _encoded(builder, split: str):
    """A tfds split as its examples' encoded images (tensorflow-datasets does not decode them)."""
    import tensorflow_datasets as tfds

    return builder.as_dataset(split=split, decoders={"image": tfds.decode.SkipDecoding()})


def _tfds_builder(name: str, url: str, first_split: str,
                  unavailable: Callable[[str], DataUnavailableError]):
    """tensorflow-datasets' builder of `name`, its data ready to read.

    A copy already prepared in its data folder (`$TFDS_DATA_DIR` or its default), or mocked
    data, is read as it is, without the network; otherwise tensorflow-datasets downloads and
    prepares it, once a connection probe of `url` (where it downloads from) succeeds, so that
    an offline run fails within seconds. `first_split` is the split read to tell.

    Raises:
        DataUnavailableError: `unavailable(reason)`, when there is no copy and none can be
            downloaded.
    """
    import tensorflow_datasets as tfds

    try:
        # $TFDS_DATA_DIR read now, not when tensorflow-datasets was imported.
        builder = tfds.builder(name, data_dir=os.environ.get("TFDS_DATA_DIR"))
    except Exception as error:  # noqa: BLE001 - any failure here means no data from tfds
        raise unavailable(first_line(error)) from error
    try:
        # Reading first: a prepared copy (or mocked data) needs no network.
        _encoded(builder, first_split)
    except AssertionError:
        # tensorflow-datasets' "no data in data_dir"; on a prepared builder, a real failure.
        if builder.is_prepared():
            raise
        reason = probe(url)
        if reason is not None:
            raise unavailable(reason)
        try:
            builder.download_and_prepare()
        except Exception as error:  # noqa: BLE001 - any failure here means no data from tfds
            raise unavailable(first_line(error)) from error
    return builder


def horse2zebra_folder(cache: Path | None = None) -> Path:
    """horse2zebra in the authors' layout, written once from tensorflow-datasets' copy.

    tensorflow-datasets reads (or, with network access, downloads and prepares)
    `cycle_gan/horse2zebra` in its data folder (`$TFDS_DATA_DIR` or its default); its
    encoded JPEGs are written unchanged into
    `trainA/ trainB/ testA/ testB/` of a staging folder, which is renamed into
    `<cache>/horse2zebra` only when complete. Training then reads files like any
    `--data-dir` copy, decoding them as the stream runs.

    Raises:
        DataUnavailableError: tensorflow-datasets has no copy and none can be downloaded.
    """
    cache = Path(cache or keras_datasets_dir())
    root = cache / "horse2zebra"
    hint = f"pass --data-dir FOLDER, {HORSE2ZEBRA_LAYOUT}"
    if root.is_dir():
        return root

    def unavailable(reason: str) -> DataUnavailableError:
        return DataUnavailableError(f"Could not load horse2zebra: tensorflow-datasets could not "
                                    f"prepare {HORSE2ZEBRA_TFDS!r} ({reason}); {hint}.")

    splits = [f"{base}{domain}" for base in UNPAIRED_SPLITS for domain in "AB"]
    builder = _tfds_builder(HORSE2ZEBRA_TFDS, HORSE2ZEBRA_URL, splits[0], unavailable)
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=cache, prefix=".horse2zebra-"))
    try:
        for split in splits:
            _write_tfds_split(_encoded(builder, split), staging / split)
        staging.rename(root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return root


def _horse2zebra(split: str, data_dir: Path | None) -> UnpairedExamples:
    parse_split(split, UNPAIRED_SPLITS, "horse2zebra")  # a bad split is refused before any work
    root = _local_or(horse2zebra_folder, data_dir, HORSE2ZEBRA_LAYOUT)
    try:
        return unpaired_folder(root, split, dataset="horse2zebra")
    except DataUnavailableError as error:
        raise DataUnavailableError(f"Could not load horse2zebra split {split!r}: {error} Pass "
                                   f"--data-dir FOLDER, {HORSE2ZEBRA_LAYOUT}.") from error


def square_crop(image: tf.Tensor, size: int) -> tf.Tensor:
    """The central square of an (H, W, C) image in [0, 1], resized to size x size with
    `zoo.images.resize_image` (bilinear, antialiased, clipped to [0, 1]): keras-io's DDIM
    preprocessing; TensorFlow ops.

    Example:
        >>> wide = tf.concat([tf.zeros((4, 2, 1)), tf.ones((4, 4, 1)), tf.zeros((4, 2, 1))], 1)
        >>> square_crop(wide, 2).numpy().ravel().tolist()
        [1.0, 1.0, 1.0, 1.0]
    """
    height, width = tf.shape(image)[0], tf.shape(image)[1]
    side = tf.minimum(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return resize_image(image[top:top + side, left:left + side], size, size)


_SQUARE_BATCH = 64


def _squares(encoded: tf.data.Dataset, size: int,
             failed: Callable[[int, Exception], None]) -> np.ndarray:
    """Encoded images (a dataset of scalar strings), decoded by `zoo.images.decode_image` as RGB,
    `square_crop`ped to `size` and rounded to uint8: (N, size, size, 3), in their order.

    Decoding runs in parallel in the order of `encoded`, so an image that does not decode fails
    the batch it is in: `failed(first index of that batch, error)` raises the error that names
    the image.
    """
    def square(data: tf.Tensor) -> tf.Tensor:
        image = square_crop(decode_image(data, 3), size)
        return tf.cast(tf.round(image * 255.0), tf.uint8)  # as `zoo.images.to_uint8`

    batches, done = [], 0
    iterator = iter(encoded.map(square, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
                    .batch(_SQUARE_BATCH).prefetch(2))
    while True:
        try:
            batch = next(iterator)
        except StopIteration:
            break
        except tf.errors.OpError as error:
            failed(done, error)
            raise  # `failed` raises; this is only a safeguard
        batches.append(batch.numpy())
        done += len(batches[-1])
    return np.concatenate(batches) if batches else np.zeros((0, size, size, 3), np.uint8)


def image_tree(root: Path) -> list[Path]:
    """Every image file under `root` (`IMAGE_SUFFIXES`, any case), its subfolders searched
    too, sorted by the path below `root`; hidden files and folders (names starting with `.`,
    such as macOS's `._photo.jpg` companions) are skipped, and links to folders not followed.
    """
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        found += [Path(folder) / name for name in names if not name.startswith(".")
                  and Path(name).suffix.lower() in IMAGE_SUFFIXES]
    return sorted((path for path in found if path.is_file()),
                  key=lambda path: path.relative_to(root).as_posix())


def _selected(parsed: Split, count: int) -> range:
    return range(count)[parsed.indices(count)]


def _flowers_folder(parsed: Split, root: Path) -> Examples:
    if not root.is_dir():
        raise DataUnavailableError(f"There is no folder {root}; pass --data-dir FOLDER, "
                                   f"{FLOWERS_LAYOUT}.")
    files = image_tree(root)
    if not files:
        raise DataError(f"{root} holds no images: no {', '.join(IMAGE_SUFFIXES)} files in it or "
                        f"its subfolders; pass --data-dir FOLDER, {FLOWERS_LAYOUT}.")
    chosen = [str(files[index]) for index in _selected(parsed, len(files))]
    if not chosen:
        raise DataError(f"flowers split {parsed.text!r} holds none of the {len(files)} images "
                        f"found under {root}.")

    def failed(first: int, error: Exception) -> None:
        for path in chosen[first:first + _SQUARE_BATCH]:
            try:
                read_image(path, 3)  # the zoo's image reader names the file it refuses
            except DataError as refused:
                raise DataError(f"Could not load the images under {root}: {refused}"
                                ) from error
        raise DataError(f"Could not load the images under {root}, from {chosen[first]} on: "
                        f"{first_line(error)}.") from error

    encoded = tf.data.Dataset.from_tensor_slices(chosen).map(tf.io.read_file)
    images = _squares(encoded, FLOWERS_SIZE, failed)
    return Examples({"image": images},
                    f"{len(images)} of the {len(files)} images found under {root} "
                    f"({parsed.text}), center-cropped to {FLOWERS_SIZE}x{FLOWERS_SIZE}")


def _flowers_tfds(parsed: Split) -> Examples:
    def unavailable(reason: str) -> DataUnavailableError:
        return DataUnavailableError(f"Could not load Oxford Flowers 102: tensorflow-datasets "
                                    f"could not prepare {FLOWERS_TFDS!r} ({reason}); pass "
                                    f"--data-dir FOLDER, {FLOWERS_LAYOUT}.")

    builder = _tfds_builder(FLOWERS_TFDS, FLOWERS_URL, FLOWERS_TFDS_SPLITS[0], unavailable)
    pool = functools.reduce(tf.data.Dataset.concatenate,
                            [_encoded(builder, split).map(lambda example: example["image"])
                             for split in FLOWERS_TFDS_SPLITS])
    count = int(pool.cardinality())
    if count < 0:  # unknown (mocked data): counted, without decoding
        count = int(pool.reduce(0, lambda total, _: total + 1))
    chosen = _selected(parsed, count)
    if not chosen:
        raise DataError(f"flowers split {parsed.text!r} holds none of the {count} images of "
                        f"tensorflow-datasets' {FLOWERS_TFDS}.")

    def failed(first: int, error: Exception) -> None:
        last = chosen[min(first + _SQUARE_BATCH, len(chosen)) - 1]
        raise DataError(f"tensorflow-datasets' copy of {FLOWERS_TFDS} holds an image that does "
                        f"not decode, among images {chosen[first]} to {last} of its train, "
                        f"validation and test splits pooled ({first_line(error)}); delete "
                        f"{builder.data_dir} to prepare it again, or pass --data-dir FOLDER, "
                        f"{FLOWERS_LAYOUT}.") from error

    images = _squares(pool.skip(chosen.start).take(len(chosen)), FLOWERS_SIZE, failed)
    return Examples({"image": images},
                    f"{len(images)} Oxford Flowers 102 images ({parsed.text} of the {count} of "
                    f"tensorflow-datasets' train, validation and test splits), center-cropped to "
                    f"{FLOWERS_SIZE}x{FLOWERS_SIZE}")


def _flowers(split: str, data_dir: Path | None) -> Examples:
    """Oxford Flowers 102 as keras-io's DDIM example prepares it, or a folder of any images.

    Every image is decoded as RGB (`zoo.images.decode_image`: greyscale repeated, alpha
    dropped), center-cropped to a square, resized to `FLOWERS_SIZE` (64) px, bilinear with
    antialiasing (`square_crop`), and kept in memory as `image`, uint8 (N, 64, 64, 3) (about
    12 kB an image); they are decoded each time a split is loaded. There are no labels.

    The split base is `all`, one ordered set of images, sliced in tensorflow-datasets' syntax
    (`all[:80%]`, `all[-100:]`):

    - by default, tensorflow-datasets' `oxford_flowers102` (downloaded and prepared by it on
      first use): its train, validation and test splits pooled in that order, 8,189 images.
      keras-io trains on `train[:80%]+validation[:80%]+test[:80%]` and validates on the
      remaining 20% of each; the zoo's split syntax has no union, so `ddim_flowers` trains on
      `all[:80%]` of the pool (6,551 images, as many as keras-io's) and holds out `all[80%:]`,
      the last 1,638 images of the test split;
    - with `--data-dir DIR`: every image file under DIR, subfolders included, sorted by path
      (`image_tree`). An empty folder, or a file that does not decode, is a DataError naming it.
    """
    parsed = parse_split(split, FLOWERS_SPLITS, "flowers")  # refused before any work
    if data_dir is None:
        return _flowers_tfds(parsed)
    return _flowers_folder(parsed, Path(data_dir))


DATASETS: Mapping[str, Callable[[str, Path | None], Examples | UnpairedExamples]] = {
    "mnist": _mnist,
    "mnist_inpaint": _mnist_inpaint,
    "facades": _facades,
    "horse2zebra": _horse2zebra,
    "mnist_restyle": _mnist_restyle,
    "flowers": _flowers,
}


LABELLED: frozenset[str] = frozenset({"mnist", "mnist_inpaint"})
"""The data sets of `DATASETS` that are one table of examples with a class `label` (MNIST's
digits 0-9), which `Examples.of_class` filters on for one-class training."""


def has_labels(dataset: str) -> bool:
    """Whether the examples of `dataset` carry a class `label` to filter on (`LABELLED`).

    Example:
        >>> has_labels("mnist"), has_labels("facades")
        (True, False)
    """
    return dataset in LABELLED


def load_examples(dataset: str, split: str, data_dir: str | os.PathLike | None = None
                  ) -> Examples | UnpairedExamples:
    """One split of a registered data set.

    Args:
        dataset: a name of `DATASETS`.
        split: tensorflow-datasets split syntax (`train`, `test[:8000]`).
        data_dir: a local copy of the data (see the table above); None uses the
            default source.

    Raises:
        DataError: the split is malformed, empty or the files are damaged.
        DataUnavailableError: the data cannot be had here; the message says how to provide it.
    """
    if dataset not in DATASETS:
        raise KeyError(f"Unknown data set {dataset!r}; known: {', '.join(DATASETS)}.")
    return DATASETS[dataset](split, None if data_dir is None else Path(data_dir))
