"""The `zoo` command (also `python -m zoo`): list, info, sample, translate, train, serving-config.

Every subcommand reads the entries from the registry and the exports through
`zoo.load`'s search order (see `zoo.paths.search_roots`). A problem the user
can fix ends the command with one `error: ...` line on stderr and exit status
2, whether argparse or the zoo found it. TensorFlow's start-up log lines are
hidden unless `--verbose` is given.

Example:
    >>> main(["list"])  # doctest: +ELLIPSIS
    vae_mnist                Convolutional VAE ...
    0
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Any, Callable, NoReturn, Sequence

import numpy as np

import zoo
from zoo.console import plural, progress, quiet_tensorflow
from zoo.errors import ConfigurationError, DataError, ExportNotFoundError, ZooError, ZooWarning
from zoo.images import IMAGE_FORMATS, save_image, save_png, tile
from zoo.paths import (EXPORTED_ENV, exported_root, find_entry, model_argument, search_order,
                       search_roots, shipped_exports, versions)
from zoo.registry import ENTRIES, NAME_PATTERN, Entry

PROG = "zoo"
DEFAULT_COUNT = 64
DEFAULT_PER_CLASS = 10
DEFAULT_TRANSLATE_BATCH = 8
TRANSLATION_FAMILIES = ("pix2pix", "cyclegan")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
"""The files a folder given to `zoo translate` contributes."""
RECIPE_COMMAND = re.compile(r"^python recipes/(?P<entry>[a-z][a-z0-9_]*)\.py(?=\s|$)")
"""The start of a training command recorded as the recipe script's command line."""
TAKE_PARTS = ("whole", "left", "right")
"""What `zoo translate --take` translates of each image."""


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors as one `error: ...` line (exit status 2), like ZooErrors."""

    def error(self, message: str) -> NoReturn:
        _usage_error(self, message)


def _usage_error(parser: argparse.ArgumentParser, message: str) -> NoReturn:
    parser.exit(2, f"error: {message} (see `{parser.prog} --help`).\n")


class _DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Adds `(default: X)` to an option's help only where the help does not already say what
    the default is, and never `(default: None)`: a None default's meaning is in the help."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default is None or "default" in text:
            return text
        return super()._get_help_string(action)


def _bounded_int(flag: str, minimum: int, maximum: int | None = None
                 ) -> Callable[[str], int]:
    """An argparse type: an integer from `minimum` to `maximum`, else a message naming `flag`."""
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


def build_parser() -> argparse.ArgumentParser:
    """The `zoo` command's argument parser, one subparser per subcommand."""
    parser = _Parser(prog=PROG, description=zoo.__doc__.split("\n")[0],
                     epilog=f"`{PROG} COMMAND --help` describes each command.")
    verbose_help = ("show TensorFlow's start-up and C++ log lines and its Python warnings "
                    "(hidden by default)")
    parser.add_argument("-v", "--verbose", action="store_true", help=verbose_help)
    parser.add_argument("--version", action="version", version=f"{PROG} {zoo.__version__}",
                        help=f"print `{PROG} VERSION` and exit")
    # Accepted after the subcommand as well; SUPPRESS keeps a --verbose given before it.
    verbose = _Parser(add_help=False)
    verbose.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                         help=verbose_help)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    defaults = _DefaultsFormatter

    commands.add_parser("list", parents=[verbose], help="the zoo's entries with a line on each")

    info = commands.add_parser(
        "info", parents=[verbose], formatter_class=defaults,
        help="an export's folder, signatures, training command and recorded figures; without "
             "a model, the folders exports are found in",
        description="An export's folder, description, signatures (inputs with dtype, shape and "
                    "range; outputs), training command and the figures the benchmarks recorded "
                    "in its zoo.json; for an entry with no export, the registry's facts and the "
                    "command that trains it. Without a model: the folders exports are looked "
                    "up in, in order, with the entries each holds, and where new exports go.")
    info.add_argument("model", nargs="?", default=None,
                      help="entry name (e.g. vae_mnist) or export directory")
    info.add_argument("--version", type=int, default=None,
                      help="export version (default: newest)")

    sample = commands.add_parser(
        "sample", parents=[verbose], formatter_class=defaults,
        help="draw images from an exported model into a PNG or JPEG grid")
    sample.add_argument("model", help="entry name (e.g. vae_mnist) or export directory")
    sample.add_argument("--count", type=_bounded_int("--count", 1), default=None,
                        help=f"images to draw (default {DEFAULT_COUNT}); for a class-conditional "
                             f"model without --label, images per class (default "
                             f"{DEFAULT_PER_CLASS}), one row per class")
    sample.add_argument("--label", type=int, default=None,
                        help="class to draw, for class-conditional models such as cgan_mnist "
                             "(default: one row per class)")
    sample.add_argument("--seed", type=_bounded_int("--seed", 0, 2**63 - 1), default=0,
                        help="the same seed gives the same images")
    sample.add_argument("--version", type=int, default=None,
                        help="export version (default: newest)")
    sample.add_argument("--out", type=Path, default=None,
                        help="the grid's file: PNG, or JPEG for a .jpg or .jpeg name (default: "
                             "<model>_samples.png)")

    translate = commands.add_parser(
        "translate", parents=[verbose], formatter_class=defaults,
        help="translate image files with a pix2pix or CycleGAN export",
        description="Reads each image (JPEG or PNG, grey or colour, converted to the model's "
                    "channels), or one half of it with --take, resizes it to the model's image "
                    "size (with a warning when that changes its aspect ratio), translates it "
                    "and writes OUT/<file stem>.png at that size.")
    translate.add_argument("model", help="entry name (e.g. cyclegan_horse2zebra) or export "
                                         "directory of a pix2pix or CycleGAN model")
    translate.add_argument("inputs", nargs="+", type=Path, metavar="IMAGE",
                           help="image files, or folders whose .jpg, .jpeg and .png files "
                                "are all translated")
    translate.add_argument("--out", type=Path, required=True,
                           help="folder the translations are written to (made if missing)")
    translate.add_argument("--direction", default=None,
                           help="for CycleGAN: a_to_b or b_to_a (default: the export's "
                                "serving_default, a_to_b)")
    translate.add_argument("--take", choices=TAKE_PARTS, default=None,
                           help="the part of each image translated: its left or right half "
                                "(side-by-side pairs such as the pix2pix facades files, whose "
                                "label map is the right half), or the whole image (the default; "
                                "an image twice as wide as high is refused for a square model "
                                "unless --take whole is given)")
    translate.add_argument("--batch-size", type=int, default=DEFAULT_TRANSLATE_BATCH,
                           help="images translated per call")
    translate.add_argument("--version", type=int, default=None,
                           help="export version (default: newest)")

    train = commands.add_parser(
        "train", help=f"train and export an entry (`{PROG} train ENTRY --help` lists its flags)",
        usage=f"{PROG} train ENTRY [flags]",
        description=f"Trains, checkpoints and exports an entry: `{PROG} train ENTRY [flags]` "
                    "is the recipe `python recipes/ENTRY.py [flags]`, with the same flags.")
    train.add_argument("entry", nargs="?", help=f"one of: {', '.join(ENTRIES)}")
    train.add_argument("flags", nargs=argparse.REMAINDER,
                       help=f"the recipe's flags (`{PROG} train ENTRY --help` lists them)")

    serving = commands.add_parser(
        "serving-config", parents=[verbose], formatter_class=defaults,
        help="print a TF Serving models.config for the exports of a folder",
        description="Prints a TF Serving model config file (text protobuf) with one model per "
                    "entry exported under the folder. Serve it with `tensorflow_model_server "
                    "--model_config_file=models.config` with the folder mounted at "
                    "--base-path.")
    serving.add_argument("--exported", type=Path, default=None,
                         help="folder of exports (default: the first folder of the search "
                              "order that holds any: $ZOO_EXPORTED_DIR, ./exported, the "
                              "checkout's exported/, the installed copies)")
    serving.add_argument("--base-path", default="/models",
                         help="where the server sees that folder; each model's base_path is "
                              "<base-path>/<entry>")
    return parser


def _show_warning(others: Callable[..., None], message: Warning | str, category: type[Warning],
                  *args: Any, **kwargs: Any) -> None:
    """`warnings.showwarning` for the command: a ZooWarning is one `[zoo] warning:` line, as
    the command's other progress lines; `others` shows any other warning."""
    if issubclass(category, ZooWarning):
        progress(f"warning: {message}")
    else:
        others(message, category, *args, **kwargs)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the `zoo` command; returns the exit status (2 for a problem the user can fix)."""
    try:
        with warnings.catch_warnings():
            warnings.showwarning = functools.partial(_show_warning, warnings.showwarning)
            return _run(argv)
    except KeyboardInterrupt:
        progress("interrupted; nothing is half-written (files are written whole or not at all).")
        return 130
    except BrokenPipeError:
        # The reader of stdout went away (`zoo list | head`): stop quietly, as shell tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "list":
        for name, description in zoo.available().items():
            print(f"{name:<24} {description}")
        return 0
    flags = getattr(args, "flags", None) or []
    verbose = args.verbose or "--verbose" in flags or "-v" in flags
    # Called by each command just before it needs TensorFlow, so that what fails without it
    # (a missing file, a bad flag) fails at once.
    tensorflow = (lambda: None) if verbose else quiet_tensorflow
    try:
        if args.command == "info" and args.model is None:
            if args.version is not None:
                raise ConfigurationError(f"--version needs a model: `{PROG} info MODEL "
                                         "--version N`.")
            print(exports_text())
        elif args.command == "info":
            tensorflow()
            print(info_text(args.model, args.version))
        elif args.command == "sample":
            _sample(args, tensorflow)
        elif args.command == "translate":
            _translate(args, tensorflow)
        elif args.command == "train":
            tensorflow()
            _train(parser, args.entry, flags)
        else:
            print(serving_config(args.exported, args.base_path), end="")
    except ZooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _values(mapping: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in mapping.items())


def _nested(mapping: dict[str, Any], indent: str) -> list[str]:
    lines = []
    for key, value in mapping.items():
        if isinstance(value, dict):
            lines.append(f"{indent}{key}:")
            lines += _nested(value, indent + "  ")
        else:
            lines.append(f"{indent}{key}: {value}")
    return lines


def training_command(recorded: str) -> str:
    """An export's recorded training command, as `zoo train ENTRY [flags]`.

    Exports made before the zoo recorded `zoo train` hold `python recipes/ENTRY.py
    [flags]`, the same run; but a wheel install has no recipes/ folder, and
    `zoo train` works from any install.

    Example:
        >>> training_command("python recipes/vae_mnist.py --epochs 60 --out runs/vae")
        'zoo train vae_mnist --epochs 60 --out runs/vae'
    """
    return RECIPE_COMMAND.sub(rf"{PROG} train \g<entry>", recorded)


def _settings_in_use(metadata: dict[str, Any]) -> dict[str, Any]:
    """An export's model config less the settings its architecture does not read (a GAN
    records the mlp networks' widths whatever networks it has), as its family says."""
    from zoo.families import get_family

    config = metadata["model_config"]
    try:
        settings_in_use = get_family(metadata["family"]).settings_in_use
    except ValueError:  # a family this zoo does not know: show everything recorded
        return config
    return settings_in_use(config) if settings_in_use else config


def _output_text(output: str | dict[str, Any]) -> str:
    """An output declaration of zoo.json: a name (float32), or an object with a dtype."""
    if isinstance(output, str):
        return f"{output!r}: float32"
    text = f"{output['name']!r}: {output.get('dtype', 'float32')}"
    return text + (f" ({output['description']})" if output.get("description") else "")


def _export_info(folder: Path) -> str:
    from zoo.export import MANIFEST_KEY, METADATA_FILE
    from zoo.loading import check_files, read_metadata
    from zoo.signatures import TensorInput

    if not (folder / METADATA_FILE).is_file():
        raise ExportNotFoundError(f"{folder} has no {METADATA_FILE}; it was not exported by the "
                                  "zoo.")
    metadata = read_metadata(folder)
    check_files(folder, metadata.get(MANIFEST_KEY))
    entry = metadata["entry"]
    description = metadata.get("description") or getattr(ENTRIES.get(entry), "description", "")
    available = versions(folder.parent)
    lines = [f"{entry}: {description}",
             f"export: {folder} (version {folder.name}"
             + (f"; versions here: {', '.join(map(str, available))})" if available else ")"),
             f"family: {metadata['family']}",
             f"model config: {_values(_settings_in_use(metadata))}"]
    training = metadata.get("training") or {}
    if training.get("command"):
        lines.append(f"trained with: {training_command(training['command'])}")
    if "dataset" in training:
        facts = [f"on {training['dataset']} {training.get('train_split', '')}".rstrip()]
        if training.get("train_examples"):
            facts[0] += f" ({training['train_examples']} examples)"
        if training.get("epochs"):
            facts.append(f"{training['epochs']} epochs" + (
                f" of {training['steps_per_epoch']} steps" if training.get("steps_per_epoch")
                else ""))
        facts += [f"{label} {training[key]}" for key, label in
                  (("batch_size", "global batch"), ("seed", "seed")) if key in training]
        lines.append("  " + ", ".join(facts))
    lines.append(f"signatures (TF Serving predict; serving_default: "
                 f"{metadata['serving_default']}):")
    for signature in metadata["signatures"]:
        lines.append(f"  {signature['name']}: {signature['description']}")
        for data in signature["inputs"]:
            lines.append(f"    input  {TensorInput.from_json(data).expected()}")
        for output in signature["outputs"]:
            lines.append(f"    output {_output_text(output)}")
    evaluation = metadata.get("evaluation")
    if evaluation:
        lines.append("evaluation (figures the benchmarks recorded):")
        lines += _nested(evaluation, "  ")
    else:
        lines.append("evaluation: none recorded")
    return "\n".join(lines)


def _registry_info(entry: Entry) -> str:
    optimizers = ", ".join(f"{name} Adam(learning_rate={spec.learning_rate:g}, "
                           f"beta_1={spec.beta_1:g}, beta_2={spec.beta_2:g})"
                           for name, spec in entry.optimizers.items())
    lines = [f"{entry.name}: {entry.description}",
             f"export: none (searched {', '.join(map(str, search_roots()))})",
             f"family: {entry.family}",
             f"model config: {_values(dict(entry.model_config))}",
             f"data: {entry.data.dataset}, train split {entry.data.train_split!r}, validation "
             f"split {entry.data.validation_split!r}, augmentation {entry.data.augment}",
             f"training defaults: {entry.epochs} epochs, global batch {entry.batch_size}, "
             f"{optimizers}, schedule {entry.schedule}"]
    if entry.flags:
        lines.append("model flags: " + " ".join(f"--{key.replace('_', '-')}"
                                                for key in entry.flags))
    lines.append(f"train and export it: {PROG} train {entry.name} "
                 f"(every flag: {PROG} train {entry.name} --help)")
    return "\n".join(lines)


def info_text(model: str, version: int | None = None) -> str:
    """What `zoo info` prints about an entry name or an export folder.

    Args:
        model: an entry name, or a directory (with a path separator) holding an export.
        version: the export version; None takes the newest.

    Returns:
        For an export: its folder, description, family and model config, training
        command, signatures with their inputs and outputs, and recorded evaluation.
        For an entry no search root has an export of: the registry's facts and the
        `zoo train` command.

    Example:
        >>> print(info_text("vae_mnist"))  # doctest: +ELLIPSIS
        vae_mnist: Convolutional VAE ...
        export: .../vae_mnist/1 (version 1; versions here: 1)
        ...
    """
    from zoo.loading import resolve

    if NAME_PATTERN.match(model) and model in ENTRIES and find_entry(model) is None:
        if version is not None:
            raise ExportNotFoundError(f"{model!r} has no export, so no version {version}; "
                                      f"train and export one with `{PROG} train {model}`.")
        return _registry_info(ENTRIES[model])
    return _export_info(resolve(model_argument(model), version))


def exports_text() -> str:
    """What `zoo info` prints without a model: the folders an entry name is looked up in.

    Each folder of `zoo.paths.search_order()` with what it is and the entries it holds
    (or that it holds none, or does not exist), the folder the shipped exports are in
    (the one to mount for TF Serving) and the one new exports are written to.

    Example:
        >>> print(exports_text())  # doctest: +ELLIPSIS
        Exports are looked up by name in these folders, in order (the first holding ...
          1. ...
        Shipped exports: .../exported
        New exports are written to ...
    """
    lines = ["Exports are looked up by name in these folders, in order (the first holding an "
             "entry wins):"]
    for number, (root, what) in enumerate(search_order(), 1):
        names = _exported_entries(root)
        held = ", ".join(names) if names else "no exports" if root.is_dir() else "no such folder"
        lines.append(f"  {number}. {root} ({what}): {held}")
    shipped = shipped_exports()
    lines += [f"Shipped exports: {shipped or 'none'}",
              f"New exports are written to {exported_root()} (${EXPORTED_ENV}, else ./exported).",
              f"An export's own folder: `{PROG} info ENTRY`; a TF Serving config for a folder: "
              f"`{PROG} serving-config --exported FOLDER`."]
    return "\n".join(lines)


def _draw(model: Any, count: int | None, seed: int, label: int | None) -> tuple[np.ndarray, int]:
    """The images of the grid and its number of columns, from the export's `sample` signature."""
    declaration = model.signatures.get("sample")
    if declaration is None:
        raise ConfigurationError(f"{model.name} has no sample signature (it has: "
                                 f"{', '.join(model.signatures)}); nothing to draw from.")
    inputs = {spec.name: spec for spec in declaration.inputs}
    extra = set(inputs) - {"count", "seed", "label"}
    if extra:
        raise ConfigurationError(f"{model.name}'s sample needs {', '.join(sorted(extra))}, "
                                 "which this command cannot pass.")
    if "label" not in inputs:
        if label is not None:
            raise ConfigurationError(f"{model.name} is not class-conditional; drop --label.")
        count = DEFAULT_COUNT if count is None else count
        return model.sample(count=count, seed=seed), 0
    if label is not None:
        count = DEFAULT_COUNT if count is None else count
        return model.sample(count=count, seed=seed, label=label), 0
    per_class = DEFAULT_PER_CLASS if count is None else count
    classes = range(int(inputs["label"].minimum), int(inputs["label"].maximum) + 1)
    rows = []
    for each in classes:
        rows.append(model.sample(count=per_class, seed=seed, label=each))
        progress(f"drew class {each} ({len(rows)}/{len(classes)} rows)")
    return np.concatenate(rows), per_class


def _either(suffixes: Sequence[str]) -> str:
    """`*.png, *.jpg or *.jpeg`."""
    names = [f"*{suffix}" for suffix in suffixes]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def _sample(args: argparse.Namespace, tensorflow: Callable[[], None]) -> None:
    # The file name first: a grid drawn for nothing is minutes lost for a large model.
    if args.out is not None and args.out.suffix.lower() not in IMAGE_FORMATS:
        raise ConfigurationError(f"--out {args.out}: the grid is written as PNG or JPEG; "
                                 f"name the file {_either(IMAGE_FORMATS)}.")
    tensorflow()
    model = zoo.load(model_argument(args.model), args.version)
    images, columns = _draw(model, args.count, args.seed, args.label)
    out = args.out or Path(f"{model.name}_samples.png")
    try:
        save_image(out, tile(images, columns or None))
    except OSError as error:
        raise ConfigurationError(f"cannot write {out}: {error.strerror or error}.") from error
    print(f"wrote {plural(len(images), 'sample')} of {model.path} to {out}")


def _translation_signatures(model: Any) -> list[str]:
    """The export's signatures that map a float32 image batch to images."""
    return [name for name, declaration in model.signatures.items()
            if len(declaration.inputs) == 1 and declaration.inputs[0].dtype == "float32"
            and len(declaration.inputs[0].shape) == 4]


def _direction(model: Any, asked: str | None) -> str:
    family = model.metadata["family"]
    if family not in TRANSLATION_FAMILIES:
        raise ConfigurationError(
            f"{model.name} is a {family} model, not a translation one; `{PROG} translate` "
            f"takes pix2pix and CycleGAN exports (e.g. pix2pix_facades, cyclegan_horse2zebra)"
            + (f"; `{PROG} sample {model.name}` draws from it." if "sample" in model.signatures
               else "."))
    choices = _translation_signatures(model)
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


def _image_size(model: Any, signature: str) -> tuple[int, int, int]:
    """(height, width, channels) the inputs are resized and converted to: the signature's
    fixed size (pix2pix), else the size the model was trained at (CycleGAN)."""
    height, width, channels = model.signatures[signature].inputs[0].shape[1:]
    if height is None or width is None:
        size = model.metadata["model_config"].get("image_size")
        if not isinstance(size, int):
            raise ConfigurationError(f"{model.path} records no image_size in its zoo.json; "
                                     "resize the images yourself and call the model from Python.")
        height, width = size, size
    return height, width, channels


def _input_files(paths: Sequence[Path]) -> list[Path]:
    """The image files to translate: the files given and the images of the folders given,
    each checked to exist and to have a stem no other file has."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(child for child in path.iterdir()
                           if child.suffix.lower() in IMAGE_SUFFIXES and child.is_file())
            if not found:
                raise DataError(f"{path} holds no {', '.join(IMAGE_SUFFIXES)} files to translate.")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise DataError(f"{path} does not exist; pass image files (JPEG or PNG) or folders "
                            "of them.")
    stems: dict[str, Path] = {}
    for path in files:
        if path.stem in stems:
            raise ConfigurationError(f"{stems[path.stem]} and {path} would both be written to "
                                     f"{path.stem}.png; translate them in separate runs with "
                                     "different --out folders.")
        stems[path.stem] = path
    return files


def _decode(path: Path, channels: int) -> Any:
    """An image file as a float32 (height, width, channels) tensor in [0, 1]."""
    import tensorflow as tf

    try:
        data = path.read_bytes()
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror or error}.") from error
    try:
        return tf.io.decode_image(data, channels=channels, dtype=tf.float32,
                                  expand_animations=False)
    except (tf.errors.InvalidArgumentError, ValueError) as error:
        raise DataError(f"{path} is not a readable JPEG or PNG image; pass image files only."
                        ) from error


def _part(image: Any, take: str | None) -> Any:
    """The whole image, or the left or right half of a side-by-side pair."""
    if take in (None, "whole"):
        return image
    from zoo.data.folders import split_pair

    left, right = split_pair(image)
    return left if take == "left" else right


def read_image(path: Path, height: int, width: int, channels: int,
               take: str | None = None) -> np.ndarray:
    """An image file (or one half of it) as float32 (height, width, channels) in [0, 1].

    Args:
        path: a JPEG or PNG file (8 or 16 bits, grey, grey and alpha, RGB or RGBA).
        height, width: the size it is resized to (bilinear, antialiased).
        channels: 1 for grey (colour is converted), 3 for RGB (grey is repeated,
            alpha dropped).
        take: `left` or `right` for that half of a side-by-side pair (the pix2pix
            data layout); None or `whole` for the whole image.

    Raises:
        zoo.errors.DataError: the file cannot be read or is not a JPEG or PNG image.
    """
    import tensorflow as tf

    image = _part(_decode(path, channels), take)
    if tuple(image.shape[:2]) != (height, width):
        image = tf.image.resize(image, (height, width), antialias=True)
    return np.clip(image.numpy(), 0.0, 1.0)


def _check_sizes(files: Sequence[Path], height: int, width: int, take: str | None) -> None:
    """Reads every file before anything is written: refuses a side-by-side pair given whole
    to a square model, which would squash two images into one, and warns of each image whose
    aspect ratio the resizing changes.

    Raises:
        zoo.errors.DataError: a file does not read as an image, or is twice as wide as
            high for a square model and `take` is None.
    """
    for path in files:
        found_height, found_width = _part(_decode(path, 1), take).shape[:2]
        if take is None and height == width and found_width == 2 * found_height:
            raise DataError(
                f"{path} is {found_width}x{found_height}, twice as wide as high: a side-by-side "
                f"pair (the pix2pix layout; facades: photo left, label map right) would be "
                f"squashed into {width}x{height}; pass --take right or --take left to translate "
                "that half, or --take whole to resize the whole image.")
        if found_height * width != found_width * height:
            progress(f"warning: {path} is {found_width}x{found_height}; resized to "
                     f"{width}x{height}, which changes its aspect ratio.")


def _translate(args: argparse.Namespace, tensorflow: Callable[[], None]) -> None:
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
    if args.out.exists() and not args.out.is_dir():
        raise ConfigurationError(f"--out {args.out} is a file, not a folder; choose a folder.")
    tensorflow()
    model = zoo.load(model_argument(args.model), args.version)
    direction = _direction(model, args.direction)
    height, width, channels = _image_size(model, direction)
    _check_sizes(files, height, width, args.take)
    for start in range(0, len(files), args.batch_size):
        batch = files[start:start + args.batch_size]
        images = np.stack([read_image(path, height, width, channels, args.take)
                           for path in batch])
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


def _train(parser: argparse.ArgumentParser, name: str | None, flags: list[str]) -> None:
    from zoo.runtime.cli import build_parser as recipe_parser

    if name is None:
        _usage_error(parser, f"`{PROG} train` needs an entry: one of {', '.join(ENTRIES)}")
    if name not in ENTRIES:
        _usage_error(parser, f"unknown entry {name!r} for `{PROG} train`; known entries: "
                             f"{', '.join(ENTRIES)}")
    entry = ENTRIES[name]
    recipe = recipe_parser(entry, prog=f"{PROG} train {name}")
    recipe.error = lambda message: _usage_error(recipe, message)  # one line, as everywhere here
    args = recipe.parse_args(flags)
    from zoo.runtime.train import interrupted_words, train

    try:
        version = train(entry, args)
    except KeyboardInterrupt:
        progress(interrupted_words(args.out))
        sys.exit(130)
    if version is not None:  # progress went to stderr; the result is the export folder
        print(version)


def _text_proto_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _exported_entries(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(child.name for child in folder.iterdir()
                  if NAME_PATTERN.match(child.name) and versions(child))


def serving_config(exported: Path | None = None, base_path: str = "/models") -> str:
    """A TF Serving model config file listing every entry exported under a folder.

    Args:
        exported: a folder of `<entry>/<version>/` exports; None for the first folder
            of `zoo.paths.search_roots()` that holds any.
        base_path: where the server sees that folder (a mount point in its container,
            or a storage URI); each model's `base_path` is `<base_path>/<entry>`.

    Returns:
        The text protobuf (`model_config_list { config { name ... } ... }`), after a
        comment naming the folder it describes.

    Raises:
        zoo.errors.ExportNotFoundError: the folder holds no export.

    Example:
        >>> print(serving_config())  # doctest: +ELLIPSIS
        # TF Serving models.config for the exports in .../exported, seen by the server at /models
        model_config_list {
          config {
            name: "cgan_mnist"
            base_path: "/models/cgan_mnist"
            model_platform: "tensorflow"
          }
        ...
    """
    if exported is None:
        roots = search_roots()
        exported = next((root for root in roots if _exported_entries(root)), None)
        if exported is None:
            raise ExportNotFoundError(f"No exports in any of {', '.join(map(str, roots))}; "
                                      f"train one with `{PROG} train ENTRY`, or pass "
                                      "--exported FOLDER.")
    if not exported.is_dir():
        raise ExportNotFoundError(f"--exported {exported} is not a folder; pass the folder the "
                                  "zoo exported to (it holds <entry>/<version>/saved_model.pb).")
    names = _exported_entries(exported)
    if not names:
        raise ExportNotFoundError(f"No exports in {exported} (it should hold "
                                  "<entry>/<version>/saved_model.pb); pass the folder the zoo "
                                  "exported to.")
    base = base_path.rstrip("/") or "/"
    lines = [f"# TF Serving models.config for the exports in {exported.absolute()}, seen by the "
             f"server at {base}", "model_config_list {"]
    for name in names:
        lines += ["  config {",
                  f"    name: {_text_proto_string(name)}",
                  f"    base_path: {_text_proto_string(base.rstrip('/') + '/' + name)}",
                  '    model_platform: "tensorflow"',
                  "  }"]
    lines.append("}")
    return "\n".join(lines) + "\n"
