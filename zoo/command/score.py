"""`zoo score`: image files scored by an export's `score` signature, each placed among the
held-out scores its export recorded: `scores.csv` (most unusual first) and a picture of the
least and the most typical inputs.

A model scores when its export declares a `score` signature, whatever its family;
the signature's first output is the recommended outlier score (`zoo.outliers`).
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np

import zoo
from zoo.command.common import (DefaultsFormatter, at_own_size, bounded_int, check_out_folder,
                                image_files, model_image_size, read_every_file,
                                start_tensorflow, warn_of_aspect)
from zoo.console import plural, progress
from zoo.errors import ConfigurationError
from zoo.images import read_image
from zoo.outliers import (THRESHOLD_PERCENTILE, record_source, scoring_signature,
                          thin_record_words)
from zoo.paths import model_argument

DEFAULT_BATCH = 64
SCORES_FILE = "scores.csv"
PICTURE_FILE = "typical.png"
SHOWN = 8
"""Inputs per row of the picture: the least typical on top, the most typical below."""


def add_parser(commands: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]
               ) -> None:
    """Adds `score` to the command's subparsers."""
    parser = commands.add_parser(
        "score", parents=parents, formatter_class=DefaultsFormatter,
        help="score image files as outliers with a model that scores (e.g. vae_mnist)",
        description="Reads each image (JPEG or PNG, converted to the model's channels and "
                    "resized to its image size), scores it with the export's score signature "
                    "and places the score among the held-out scores the export recorded. "
                    f"Writes OUT/{SCORES_FILE} (file, score, percentile, outlier yes/no), most "
                    f"unusual first, and OUT/{PICTURE_FILE}, the {SHOWN} least typical inputs "
                    f"above the {SHOWN} most typical. An input is an outlier when its score is "
                    f"above the {THRESHOLD_PERCENTILE:g}th percentile of the held-out scores: "
                    "about 1% of typical inputs are flagged.")
    parser.add_argument("model", metavar="ENTRY",
                        help="entry name (e.g. vae_mnist) or export directory of a model with a "
                             "score signature")
    parser.add_argument("inputs", nargs="+", type=Path, metavar="IMAGE",
                        help="image files, or folders whose .jpg, .jpeg and .png files are all "
                             "scored")
    parser.add_argument("--out", type=Path, required=True,
                        help="folder the results are written to (made if missing)")
    parser.add_argument("--score", default=None, metavar="NAME",
                        help="the output of the score signature to judge by (default: its "
                             "first, the recommended one; e.g. negative_elbo for vae_mnist)")
    parser.add_argument("--batch-size", type=bounded_int("--batch-size", 1),
                        default=DEFAULT_BATCH, help="images scored per call")
    parser.add_argument("--version", type=int, default=None,
                        help="export version (default: newest)")
    parser.set_defaults(run=run)


def _output(model: Any, asked: str | None) -> str:
    """The score output judged: the one asked for, else the signature's first."""
    names = scoring_signature(model).output_names
    if asked is not None and asked not in names:
        raise ConfigurationError(f"--score {asked!r} is not an output of {model.name}'s score "
                                 f"signature; choose one of: {', '.join(names)}.")
    return asked or names[0]


def _reader(model: Any, files: Sequence[Path]):
    """Reads every file once to check it (the unreadable files are one DataError naming them,
    before anything is scored or written; `read_every_file`) and warns of aspect ratios the
    resizing changes; returns `read(path)`, the image as the score signature takes it."""
    declaration = scoring_signature(model)
    height, width, channels = model_image_size(model, declaration.name)
    multiple = declaration.inputs[0].multiple_of

    def check(path: Path) -> None:
        found = read_image(path, channels).shape[:2]
        if height is not None:
            warn_of_aspect(path, found, (height, width))

    read_every_file(files, check)

    def read(path: Path) -> np.ndarray:
        if height is None:
            return at_own_size(read_image(path, channels), multiple)
        return read_image(path, channels, (height, width))

    return read, height is not None


def percentile_text(percentile: float) -> str:
    """A percentile with one decimal, rounded DOWN, so that 100.0 is shown only for a score
    at or above every held-out one (99.96 shows as 99.9, not 100.0).

    Example:
        >>> percentile_text(99.96), percentile_text(100.0), percentile_text(0.3)
        ('99.9', '100.0', '0.3')
    """
    # Rounded to 9 decimals first: 0.3 * 10 is 2.9999999999999996, not below 3.
    return f"{math.floor(round(percentile * 10, 9)) / 10:.1f}"


def _csv(rows: Sequence[tuple[Path, float, float, bool]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["file", "score", "percentile", "outlier"])
    for path, score, percentile, outlier in rows:
        writer.writerow([str(path), f"{score:.6g}", percentile_text(percentile),
                         "yes" if outlier else "no"])
    return text.getvalue().encode()


def _picture(rows: Sequence[tuple[Path, float, float, bool]], read, output: str):
    """A figure of the least typical inputs (top row, most unusual first) and the most typical
    ones (bottom row, most typical first), each labelled with its file and percentile."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top = list(rows[:min(SHOWN, math.ceil(len(rows) / 2))])
    bottom = list(reversed(rows[len(top):]))[:SHOWN]
    columns = max(len(top), len(bottom), 1)
    figure, axes = plt.subplots(2 if bottom else 1, columns, squeeze=False,
                                figsize=(1.6 * columns + 0.6, 2.1 * (2 if bottom else 1)))
    for axis in axes.flat:
        axis.axis("off")
    for row, (shown, title) in enumerate([(top, "least typical"), (bottom, "most typical")]):
        for column, (path, _, percentile, outlier) in enumerate(shown):
            axis = axes[row, column]
            image = read(path)
            axis.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray", vmin=0.0,
                        vmax=1.0, interpolation="nearest")
            # A frame, so that a white image shows on the white page.
            axis.axis("on")
            axis.set_xticks([])
            axis.set_yticks([])
            for spine in axis.spines.values():
                spine.set_edgecolor("0.6")
            name = path.name if len(path.name) <= 16 else path.name[:13] + "..."
            axis.set_title(f"{name}\n{percentile_text(percentile)}%" + (" outlier" if outlier
                                                                          else ""),
                           fontsize=7, color="firebrick" if outlier else "black")
        if shown:
            axes[row, 0].set_ylabel(title, fontsize=9)
    figure.suptitle(f"{output}: percentile among typical held-out data", fontsize=9)
    return figure


def _png(figure) -> bytes:
    """A matplotlib figure as PNG bytes, as `zoo.images.save_figure` writes it; closes it."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def _write_both(contents: dict[Path, bytes]) -> None:
    """Writes every file to a temporary file beside it, then renames them all into place: a
    failure to write (a full disk) leaves none of them new and no temporary file. (What would
    make a rename fail, a folder in a file's place, `check_out_folder` refused up front.)

    Raises:
        zoo.errors.ConfigurationError: naming the file that could not be written.
    """
    temporaries: dict[Path, str] = {}
    try:
        for path, data in contents.items():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                handle, temporaries[path] = tempfile.mkstemp(dir=path.parent,
                                                             prefix=f".{path.name}.")
                with os.fdopen(handle, "wb") as file:
                    file.write(data)
                # mkstemp makes the file private; give it the permissions open() would.
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(temporaries[path], 0o666 & ~umask)
            except OSError as error:
                raise ConfigurationError(f"cannot write {path}: {error.strerror or error}."
                                         ) from error
        for path, temporary in temporaries.items():
            try:
                os.replace(temporary, path)
            except OSError as error:
                raise ConfigurationError(f"cannot write {path}: {error.strerror or error}."
                                         ) from error
    finally:
        for temporary in temporaries.values():
            Path(temporary).unlink(missing_ok=True)


def run(args: argparse.Namespace) -> None:
    """Scores the files and writes `scores.csv` and `typical.png` to `--out`."""
    # The files first: a mistyped name fails before the model is loaded.
    files = image_files(args.inputs, "score")
    # So is an --out the results cannot be written to: nothing is scored in vain.
    check_out_folder(args.out, [args.out / SCORES_FILE, args.out / PICTURE_FILE], args.inputs)
    start_tensorflow(args.verbose)
    model = zoo.load(model_argument(args.model), args.version)
    output = _output(model, args.score)
    record = model.checked_score_quantiles()
    read, batched = _reader(model, files)
    thin = thin_record_words(model.name, record)
    if thin:
        progress(f"warning: {thin}.")
    batch_size = args.batch_size if batched else 1
    rows = []
    for start in range(0, len(files), batch_size):
        batch = files[start:start + batch_size]
        verdicts = model.outlier_scores(np.stack([read(path) for path in batch]), output)
        rows += zip(batch, verdicts["score"].tolist(), verdicts["percentile"].tolist(),
                    verdicts["outlier"].tolist())
        progress(f"scored {start + len(batch)}/{len(files)} files")
    rows.sort(key=lambda row: -row[1])  # most unusual first; ties keep the files' order
    _write_both({args.out / SCORES_FILE: _csv(rows),
                 args.out / PICTURE_FILE: _png(_picture(rows, read, output))})
    outliers = sum(row[3] for row in rows)
    progress(f"{model.name} ({model.path}) finds {plural(outliers, 'outlier')} among "
             f"{plural(len(files), 'file')}: {output} above the {THRESHOLD_PERCENTILE:g}th "
             f"percentile of {plural(record['examples'], 'held-out example')} "
             f"({record_source(record)}); wrote {args.out / SCORES_FILE} and "
             f"{args.out / PICTURE_FILE}")
    print(args.out)
