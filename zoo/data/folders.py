"""Image folders in the layouts the pix2pix and CycleGAN authors distribute, read lazily.

- Paired (pix2pix): `train/ val/ test/`, each image the two sides of one example
  side by side, A on the left and B on the right (facades: the photo left, the
  label map right).
- Unpaired (CycleGAN): `trainA/ trainB/ testA/ testB/`, one image per file,
  domain A in the `*A` folders and domain B in the `*B` folders.

Only the file names are listed when a split is loaded; the pipeline decodes
each file as the stream runs (`read`), so a data set is never held in memory
or embedded in the graph. Files are decoded as RGB whatever they hold
(greyscale JPEGs become three equal channels), as float32 in [0, 1], by the
decoding every image file of the zoo goes through (`zoo.images`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np
import tensorflow as tf

from zoo.data.examples import Examples, UnpairedExamples
from zoo.data.splits import parse_split
from zoo.errors import DataError, DataUnavailableError
from zoo.images import decode_image

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
PAIRED_SPLITS = ("train", "val", "test")
UNPAIRED_SPLITS = ("train", "test")


def image_files(folder: Path) -> list[str]:
    """The image files of a folder, sorted by name (so a split's order never depends on the disk).

    Raises:
        DataUnavailableError: the folder does not exist or holds no images.
    """
    if not folder.is_dir():
        raise DataUnavailableError(f"There is no folder {folder}.")
    files = sorted(str(path) for path in folder.iterdir()
                   if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file())
    if not files:
        raise DataUnavailableError(f"{folder} holds no images ({', '.join(IMAGE_SUFFIXES)}).")
    return files


def decode_rgb(path: tf.Tensor) -> tf.Tensor:
    """One image file (JPEG, PNG, BMP) as float32 RGB in [0, 1], greyscale converted: the
    zoo's image decoding (`zoo.images.decode_image`) on a path tensor, in the pipeline."""
    return decode_image(tf.io.read_file(path), 3)


def split_pair(image: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """The left and right halves of a side-by-side pair (an odd middle column is dropped)."""
    half = tf.shape(image)[1] // 2
    return image[:, :half], image[:, tf.shape(image)[1] - half:]


def _select(files: list[str], split: str, bases: tuple[str, ...], dataset: str) -> np.ndarray:
    parsed = parse_split(split, bases, dataset)
    return np.asarray(files[parsed.indices(len(files))])


def paired_folder(root: str | Path, split: str, direction: str = "AtoB",
                  dataset: str = "paired") -> Examples:
    """A split of a paired folder as `{"input", "target"}` examples.

    Args:
        root: the folder holding `train/`, `val/` and `test/`.
        split: `train`, `val` or `test`, optionally sliced (`test[:8]`).
        direction: `AtoB` translates the left half into the right; `BtoA` the right
            into the left (facades' label map -> photo).
        dataset: the data set's name, for messages.

    Returns:
        Examples whose `read` gives `input` and `target` float32 RGB images.

    Raises:
        DataError: a malformed split or one that holds no examples.
        DataUnavailableError: the split's folder is missing or empty.
    """
    if direction not in ("AtoB", "BtoA"):
        raise DataError(f"direction must be AtoB or BtoA; got {direction!r}.")
    root = Path(root)
    base = parse_split(split, PAIRED_SPLITS, dataset).base
    files = _select(image_files(root / base), split, PAIRED_SPLITS, dataset)
    if not len(files):
        raise DataError(f"{dataset} split {split!r} holds no examples.")

    def read(example: Mapping[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        left, right = split_pair(decode_rgb(example["path"]))
        source, target = (left, right) if direction == "AtoB" else (right, left)
        return {"input": source, "target": target}

    return Examples({"path": files}, f"{len(files)} pairs from {root / base}", read=read,
                    image_keys=("input", "target"))


def unpaired_folder(root: str | Path, split: str, dataset: str = "unpaired"
                    ) -> UnpairedExamples:
    """A split of an unpaired folder: domain A's examples and domain B's (`.domains["a"]`).

    Each domain's examples hold one `image` (float32 RGB after `read`); the
    domains have their own lengths. A slice of the split applies to each domain.

    Raises:
        DataError: a malformed split, or a domain with no examples in it.
        DataUnavailableError: a domain's folder is missing or empty.
    """
    root = Path(root)
    base = parse_split(split, UNPAIRED_SPLITS, dataset).base
    domains = {}
    for domain in ("a", "b"):
        folder = root / f"{base}{domain.upper()}"
        files = _select(image_files(folder), split, UNPAIRED_SPLITS, dataset)
        if not len(files):
            raise DataError(f"{dataset} split {split!r} holds no examples of domain "
                            f"{domain.upper()}.")
        domains[domain] = Examples(
            {"path": files}, f"{len(files)} images from {folder}",
            read=lambda example: {"image": decode_rgb(example["path"])}, image_keys=("image",))
    return UnpairedExamples(domains, f"{len(domains['a'])} images of A and {len(domains['b'])} "
                                     f"of B from {root} ({split})")
