"""What the `zoo` subcommands share: the command's name, usage errors as one line, the flag
types and help formatting, ZooWarnings as progress lines, TensorFlow started quietly, and the
image files `zoo translate` and `zoo score` read and the --out folder they write to."""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, NoReturn, Sequence

import numpy as np

from zoo.console import plural, progress, quiet_tensorflow
from zoo.errors import ConfigurationError, DataError, ZooWarning
from zoo.paths import nearest_existing, versions
from zoo.registry import NAME_PATTERN

PROG = "zoo"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
"""The files a folder given to `zoo translate` or `zoo score` contributes."""


class Parser(argparse.ArgumentParser):
    """argparse with usage errors as one `error: ...` line (exit status 2), like ZooErrors."""

    def error(self, message: str) -> NoReturn:
        usage_error(self, message)


def usage_error(parser: argparse.ArgumentParser, message: str) -> NoReturn:
    """Ends the command with `error: MESSAGE (see `PROG --help`).` and exit status 2."""
    parser.exit(2, f"error: {message} (see `{parser.prog} --help`).\n")


class DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Adds `(default: X)` to an option's help only where the help does not already say what
    the default is, and never `(default: None)`: a None default's meaning is in the help."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default is None or "default" in text:
            return text
        return super()._get_help_string(action)


def bounded_int(flag: str, minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer from `minimum` to `maximum`, else a message naming `flag`.

    Example:
        >>> bounded_int("--count", 1)("3")
        3
    """
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} must be an integer; got {text!r}")
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"at least {minimum}" if maximum is None else f"{minimum} to {maximum}"
            raise argparse.ArgumentTypeError(f"{flag} must be {bounds}; got {text}")
        return value
    return parse


def show_warning(others: Callable[..., None], message: Warning | str, category: type[Warning],
                 *args: Any, **kwargs: Any) -> None:
    """`warnings.showwarning` for the command: a ZooWarning is one `[zoo] warning:` line, as
    the command's other progress lines; `others` shows any other warning."""
    if issubclass(category, ZooWarning):
        progress(f"warning: {message}")
    else:
        others(message, category, *args, **kwargs)


def start_tensorflow(verbose: bool) -> None:
    """Imports TensorFlow with its start-up log lines hidden, unless `verbose`.

    Each subcommand calls it just before it needs TensorFlow, so that what fails
    without it (a missing file, a bad flag) fails at once.
    """
    if not verbose:
        quiet_tensorflow()


def exported_entries(folder: Path) -> list[str]:
    """The entries exported under a folder (`<entry>/<version>/`), sorted; none for a folder
    that does not exist."""
    if not folder.is_dir():
        return []
    return sorted(child.name for child in folder.iterdir()
                  if NAME_PATTERN.match(child.name) and versions(child))


def _missing(path: Path) -> str:
    """A path that does not exist, and, for a broken symbolic link, what it names."""
    if path.is_symlink():
        return f"{path} (a broken link to {os.readlink(path)})"
    return str(path)


def image_files(paths: Sequence[Path], verb: str) -> list[Path]:
    """The image files a command reads: the files given, and the `IMAGE_SUFFIXES` files of
    the folders given (sorted by name), in the order given.

    A folder's subfolders are not scanned, nor its other entries read: a `[zoo]` line on
    stderr says how many of each were skipped. A broken symbolic link named like an image
    in a folder is refused as a missing file given by name is.

    Args:
        paths: files and folders, as given on the command line.
        verb: what the command does to them, for the message about an empty folder
            (`translate`, `score`).

    Raises:
        zoo.errors.DataError: a path does not exist (every such path named), or a folder
            holds no image file.
    """
    files: list[Path] = []
    missing: list[Path] = []
    for path in paths:
        if path.is_dir():
            found, broken, folders, others = [], [], 0, 0
            for child in sorted(path.iterdir()):
                if child.is_dir():
                    folders += 1
                elif child.suffix.lower() not in IMAGE_SUFFIXES:
                    others += 1
                elif child.is_file():
                    found.append(child)
                elif not child.exists():
                    broken.append(child)  # a broken symbolic link
                else:
                    others += 1  # a device or a pipe named like an image
            skipped = []
            if folders:
                skipped.append(f"{plural(folders, 'subfolder')} (not scanned recursively)")
            if others:
                skipped.append(f"{plural(others, 'other entry', 'other entries')} (not "
                               f"{', '.join(IMAGE_SUFFIXES)} files)")
            if skipped:
                progress(f"{path}: skipped {' and '.join(skipped)}")
            if not found and not broken:
                raise DataError(f"{path} holds no {', '.join(IMAGE_SUFFIXES)} files to {verb}.")
            files += found
            missing += broken
        elif path.is_file():
            files.append(path)
        else:
            missing.append(path)
    if missing:
        named = "; ".join(map(_missing, missing[:LISTED])) + (
            f"; and {len(missing) - LISTED} more" if len(missing) > LISTED else "")
        raise DataError(f"{named} {'does' if len(missing) == 1 else 'do'} not exist; pass image "
                        "files (JPEG or PNG) or folders of them.")
    return files


LISTED = 10
"""Unreadable files named in the one error that reports them all; the others are counted."""


def read_every_file(files: Sequence[Path], read: Callable[[Path], Any]) -> None:
    """Calls `read(path)` on every file before anything is done with them, so that every
    file that does not read as an image is reported at once, not the first alone.

    Args:
        files: the image files.
        read: reads one (`zoo.images.read_image`, and whatever checks go with it); it raises
            `zoo.images.ImageFileError` for a file that does not read as an image. Any other
            error is raised at once.

    Raises:
        zoo.errors.DataError: the one file's own message when one does not read; for several,
            one message naming the first `LISTED` of them, each with what is wrong, and how
            many more.
    """
    from zoo.images import ImageFileError

    unreadable: list[ImageFileError] = []
    for index, path in enumerate(files, 1):
        try:
            read(path)
        except ImageFileError as error:
            unreadable.append(error)
        if index % 500 == 0:
            progress(f"read {index}/{len(files)} files")
    if len(unreadable) == 1:
        raise unreadable[0]
    if unreadable:
        named = "; ".join(f"{error.path} ({error.reason})" for error in unreadable[:LISTED])
        more = len(unreadable) - LISTED
        raise DataError(f"{len(unreadable)} of the {len(files)} files do not read as images: "
                        f"{named}{f'; and {more} more' if more > 0 else ''}. Pass JPEG or PNG "
                        "files, or leave these out.")


def warn_of_aspect(path: Path, found: tuple[int, int], size: tuple[int, int]) -> None:
    """A `[zoo] warning:` line when resizing the image at `path` from `found` (height, width)
    to `size` changes its aspect ratio."""
    (found_height, found_width), (height, width) = found, size
    if found_height * width != found_width * height:
        progress(f"warning: {path} is {found_width}x{found_height}; resized to "
                 f"{width}x{height}, which changes its aspect ratio.")


def model_image_size(model: Any, signature: str) -> tuple[int | None, int | None, int]:
    """(height, width, channels) the images given to a signature whose first input is an image
    batch are resized and converted to: the signature's fixed size (pix2pix, the VAE), else
    the size the model was trained at (CycleGAN), else None for each image's own size (a model
    that takes any size and records none)."""
    height, width, channels = model.signatures[signature].inputs[0].shape[1:]
    if height is None or width is None:
        size = model.metadata["model_config"].get("image_size")
        height, width = (size, size) if isinstance(size, int) else (None, None)
    return height, width, channels


def at_own_size(image: np.ndarray, multiple: int | None) -> np.ndarray:
    """An image for a model that takes any size: as it is, or resized down to the multiple of
    `multiple` the model needs (at least one multiple) on each side."""
    height, width = image.shape[:2]
    if not multiple or (height % multiple == 0 and width % multiple == 0):
        return image
    from zoo.images import resize_image

    return resize_image(image, max(height // multiple, 1) * multiple,
                        max(width // multiple, 1) * multiple).numpy()


def check_out_folder(out: Path, targets: Sequence[Path] = (), inputs: Sequence[Path] = ()
                     ) -> None:
    """Checks, before anything is read or written, that the folder `--out` names can take the
    files `targets` (paths inside it): it is not a file, nor named like an image (`--out
    result.png` would make a FOLDER result.png), it or the folder it would be made in is
    writable (tried with a temporary file or folder, removed at once), no target is a
    folder, and, when `inputs` are given, it is none of the input folders nor inside one,
    nor the folder of an input file (a later run would read what this one wrote).

    Raises:
        zoo.errors.ConfigurationError: one line saying which and what to do.
    """
    if out.exists() and not out.is_dir():
        raise ConfigurationError(f"--out {out} is a file, not a folder; choose a folder.")
    if not out.exists() and out.suffix.lower() in IMAGE_SUFFIXES:
        raise ConfigurationError(f"--out {out} is the folder the results are written to, not "
                                 f"an image file; choose a folder name without {out.suffix}.")
    resolved = out.resolve()
    for path in inputs:
        if path.is_dir() and (resolved == path.resolve() or path.resolve() in resolved.parents):
            raise ConfigurationError(
                f"--out {out} is {'the' if resolved == path.resolve() else 'inside the'} input "
                f"folder {path}, whose images the results would join; choose another folder, "
                f"e.g. --out {path.resolve().parent / (path.resolve().name + '_scored')}.")
        # A file given by name (a shell's `scans/*.png`): its folder is an input folder too.
        if path.is_file() and resolved == path.absolute().parent.resolve():
            raise ConfigurationError(
                f"--out {out} is the folder of the input {path}, whose images the results "
                f"would join; choose another folder, e.g. --out "
                f"{resolved.parent / (resolved.name + '_scored')}.")
    for target in targets:
        if target.is_dir():
            raise ConfigurationError(f"cannot write {target}: it is a folder; remove it or "
                                     "choose another --out.")
    existing = nearest_existing(out)
    if not existing.is_dir():
        raise ConfigurationError(f"cannot write to --out {out}: {existing} is a file, not a "
                                 "folder.")
    try:
        if existing == out:
            handle, probe = tempfile.mkstemp(dir=out, prefix=".zoo-probe-")
            os.close(handle)
            os.unlink(probe)
        else:
            shutil.rmtree(tempfile.mkdtemp(dir=existing, prefix=".zoo-probe-"))
    except OSError as error:
        raise ConfigurationError(f"cannot write to --out {out}: "
                                 f"{error.strerror or error} ({existing}).") from error
