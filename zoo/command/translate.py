"""`zoo translate`: image files translated by an export's image-to-image signature (pix2pix's
`translate`, CycleGAN's `a_to_b` and `b_to_a`), written as PNGs at the model's size.

A model translates when its export declares such a signature, whatever its
family: `translation_signatures` finds them in the declarations of its zoo.json.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Sequence

import numpy as np

import zoo
from zoo.command.common import (PROG, DefaultsFormatter, at_own_size, check_out_folder,
                                image_files, model_image_size, read_every_file,
                                start_tensorflow, warn_of_aspect)
from zoo.console import plural, progress
from zoo.errors import ConfigurationError, DataError
from zoo.images import read_image, resize_image, save_png
from zoo.paths import model_argument
from zoo.signatures import IMAGE_RANGE, Signature

DEFAULT_BATCH = 8
TAKE_PARTS = ("whole", "left", "right")
"""What `zoo translate --take` translates of each image."""


def add_parser(commands: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]
               ) -> None:
    """Adds `translate` to the command's subparsers."""
    parser = commands.add_parser(
        "translate", parents=parents, formatter_class=DefaultsFormatter,
        help="translate image files with a pix2pix or CycleGAN export",
        description="Reads each image (JPEG or PNG, grey or colour, converted to the model's "
                    "channels), or one half of it with --take, resizes it to the model's image "
                    "size (with a warning when that changes its aspect ratio; a model that "
                    "takes any size gets it at its own), translates it "
                    "and writes OUT/<file stem>.png at that size.")
    parser.add_argument("model", metavar="ENTRY",
                        help="entry name (e.g. cyclegan_horse2zebra) or export directory of a "
                             "model with an image-to-image signature (pix2pix, CycleGAN)")
    parser.add_argument("inputs", nargs="+", type=Path, metavar="IMAGE",
                        help="image files, or folders whose .jpg, .jpeg and .png files are all "
                             "translated")
    parser.add_argument("--out", type=Path, required=True,
                        help="folder the translations are written to (made if missing)")
    parser.add_argument("--direction", default=None,
                        help="for CycleGAN: a_to_b or b_to_a (default: the export's "
                             "serving_default, a_to_b)")
    parser.add_argument("--take", choices=TAKE_PARTS, default=None,
                        help="the part of each image translated: its left or right half "
                             "(side-by-side pairs such as the pix2pix facades files, whose "
                             "label map is the right half), or the whole image (the default; "
                             "an image twice as wide as high is refused for a square model "
                             "unless --take whole is given)")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH,
                        help="images translated per call")
    parser.add_argument("--version", type=int, default=None,
                        help="export version (default: newest)")
    parser.set_defaults(run=run)


def _image_to_image(declaration: Signature) -> bool:
    """Whether a signature takes one batch of images (NHWC float32 in [0, 1]) and returns
    `images`: nothing else to pass, images to write."""
    if len(declaration.inputs) != 1:
        return False
    images = declaration.inputs[0]
    return (images.dtype == "float32" and len(images.shape) == 4
            and (images.minimum, images.maximum) == IMAGE_RANGE
            and declaration.output_names == ("images",))


def translation_signatures(model: Any) -> list[str]:
    """The names of a loaded export's image-to-image signatures, in the export's order.

    Example:
        >>> translation_signatures(zoo.load("cyclegan_mnist_restyle"))
        ['a_to_b', 'b_to_a']
        >>> translation_signatures(zoo.load("vae_mnist"))
        []
    """
    return [name for name, declaration in model.signatures.items()
            if _image_to_image(declaration)]


def _article(word: str) -> str:
    """`a` or `an`, by the word's first letter.

    Example:
        >>> _article("image"), _article("translation")
        ('an', 'a')
    """
    return "an" if word[:1].lower() in "aeiou" else "a"


def _direction(model: Any, asked: str | None) -> str:
    """The signature to translate with: the one asked for, else the serving_default when it
    translates, else the first that does."""
    choices = translation_signatures(model)
    if not choices:
        raise ConfigurationError(
            f"{model.name} is {_article(model.metadata['family'])} {model.metadata['family']} "
            f"model, not a translation one: none "
            f"of its signatures ({', '.join(model.signatures)}) takes only a batch of images "
            f"and returns 'images'; `{PROG} translate` takes exports that have one, such as "
            "pix2pix and CycleGAN ones (e.g. pix2pix_facades, cyclegan_horse2zebra)"
            + (f"; `{PROG} sample {model.name}` draws from it." if "sample" in model.signatures
               else "."))
    default = model.metadata["serving_default"]
    if asked is None:
        return default if default in choices else choices[0]
    if len(choices) == 1:
        raise ConfigurationError(f"{model.name} translates one way ({choices[0]}); drop "
                                 f"--direction {asked}.")
    if asked not in choices:
        raise ConfigurationError(f"--direction {asked!r} is not one of {model.name}'s: "
                                 f"{', '.join(choices)}.")
    return asked


def _input_files(paths: Sequence[Path]) -> list[Path]:
    """The image files to translate (`zoo.command.common.image_files`), each checked to have a
    stem no other file has."""
    files = image_files(paths, "translate")
    stems: dict[str, Path] = {}
    for path in files:
        if path.stem in stems:
            raise ConfigurationError(f"{stems[path.stem]} and {path} would both be written to "
                                     f"{path.stem}.png; translate them in separate runs with "
                                     "different --out folders.")
        stems[path.stem] = path
    return files


def _part(image: np.ndarray, take: str | None) -> np.ndarray:
    """The whole image, or the left or right half of a side-by-side pair."""
    if take in (None, "whole"):
        return image
    import tensorflow as tf

    from zoo.data.folders import split_pair

    left, right = split_pair(tf.constant(image))
    return (left if take == "left" else right).numpy()


def read_input(path: Path, height: int, width: int, channels: int,
               take: str | None = None) -> np.ndarray:
    """An image file, or the half of it `take` names, as `zoo translate` gives it to the
    model: float32 (height, width, channels) in [0, 1], read by `zoo.images.read_image`.

    Args:
        path: a JPEG or PNG file.
        height, width: the size it is resized to; None for its own size.
        channels: 1 for grey (colour is converted), 3 for RGB (grey is repeated).
        take: `left` or `right` for that half of a side-by-side pair (the pix2pix
            data layout); None or `whole` for the whole image.

    Raises:
        zoo.errors.DataError: the file cannot be read or is not a JPEG or PNG image.
    """
    if take in (None, "whole") and height is not None:
        return read_image(path, channels, (height, width))
    image = _part(read_image(path, channels), take)
    if height is None:
        return image
    return resize_image(image, height, width).numpy()


def _check_sizes(files: Sequence[Path], height: int, width: int, take: str | None) -> None:
    """Reads every file before anything is written: refuses a side-by-side pair given whole
    to a square model, which would squash two images into one, and warns of each image whose
    aspect ratio the resizing changes.

    Raises:
        zoo.errors.DataError: files that do not read as images (all of them named,
            `read_every_file`), or one twice as wide as high for a square model and `take`
            is None.
    """
    def check(path: Path) -> None:
        found_height, found_width = _part(read_image(path, 1), take).shape[:2]
        if take is None and height == width and found_width == 2 * found_height:
            raise DataError(
                f"{path} is {found_width}x{found_height}, twice as wide as high: a side-by-side "
                f"pair (the pix2pix layout; facades: photo left, label map right) would be "
                f"squashed into {width}x{height}; pass --take right or --take left to translate "
                "that half, or --take whole to resize the whole image.")
        warn_of_aspect(path, (found_height, found_width), (height, width))

    read_every_file(files, check)


def run(args: argparse.Namespace) -> None:
    """Translates the files in batches and writes one PNG each to `--out`."""
    if args.batch_size < 1:
        raise ConfigurationError(f"--batch-size must be at least 1; got {args.batch_size}.")
    # The files first: a mistyped name fails before a large model is loaded.
    files = _input_files(args.inputs)
    targets = [args.out / f"{path.stem}.png" for path in files]
    written = {target.resolve() for target in targets}
    overwritten = [path for path in files if path.resolve() in written]
    if overwritten:
        raise ConfigurationError(f"--out {args.out} would overwrite the input {overwritten[0]}; "
                                 "choose another --out.")
    check_out_folder(args.out, targets)
    start_tensorflow(args.verbose)
    model = zoo.load(model_argument(args.model), args.version)
    direction = _direction(model, args.direction)
    height, width, channels = model_image_size(model, direction)
    if height is not None:
        _check_sizes(files, height, width, args.take)
    # A model that takes any size translates each image at its own size, one at a time.
    batch_size = args.batch_size if height is not None else 1
    multiple = model.signatures[direction].inputs[0].multiple_of
    for start in range(0, len(files), batch_size):
        batch = files[start:start + batch_size]
        images = [read_input(path, height, width, channels, args.take) for path in batch]
        if height is None:
            images = [at_own_size(image, multiple) for image in images]
        images = np.stack(images)
        outputs = model.call(direction, images)
        for image, target in zip(outputs, targets[start:start + len(batch)]):
            try:
                save_png(target, image)
            except OSError as error:
                raise ConfigurationError(f"cannot write {target}: {error.strerror or error}."
                                         ) from error
        progress(f"translated {start + len(batch)}/{len(files)} files")
    print(f"wrote {plural(len(files), 'image')} translated by {model.name} {direction} "
          f"({model.path}) to {args.out}")
