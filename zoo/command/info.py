"""`zoo info`: an export's folder, signatures, training command and recorded figures; for an
entry with no export, the registry's facts; without a model, the folders exports are found in."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from zoo.command.common import PROG, DefaultsFormatter, exported_entries, start_tensorflow
from zoo.console import plural
from zoo.errors import ConfigurationError, ExportNotFoundError
from zoo.paths import (EXPORTED_ENV, exported_root, find_entry, model_argument, search_order,
                       search_roots, shipped_exports, versions)
from zoo.registry import ENTRIES, NAME_PATTERN, Entry

RECIPE_COMMAND = re.compile(r"^python recipes/(?P<entry>[a-z][a-z0-9_]*)\.py(?=\s|$)")
"""The start of a training command recorded as the recipe script's command line."""


def add_parser(commands: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]
               ) -> None:
    """Adds `info` to the command's subparsers."""
    parser = commands.add_parser(
        "info", parents=parents, formatter_class=DefaultsFormatter,
        help="an export's folder, signatures, training command and recorded figures; without "
             "a model, the folders exports are found in",
        description="An export's folder, description, signatures (inputs with dtype, shape and "
                    "range; outputs), training command, the held-out percentiles of its scores "
                    "(a model that scores) and the figures the benchmarks recorded "
                    "in its zoo.json; for an entry with no export, the registry's facts and the "
                    "command that trains it. Without a model: the folders exports are looked "
                    "up in, in order, with the entries each holds, and where new exports go.")
    parser.add_argument("model", nargs="?", default=None, metavar="ENTRY",
                        help="entry name (e.g. vae_mnist) or export directory")
    parser.add_argument("--version", type=int, default=None,
                        help="export version (default: newest)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    """Prints what `info_text` (or, without a model, `exports_text`) says."""
    if args.model is None:
        if args.version is not None:
            raise ConfigurationError(f"--version needs an entry: `{PROG} info ENTRY "
                                     "--version N`.")
        print(exports_text())
        return
    start_tensorflow(args.verbose)
    print(info_text(args.model, args.version))


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
    from zoo.export_format import MANIFEST_KEY, METADATA_FILE, check_files, read_metadata
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
            facts[0] += f" ({plural(training['train_examples'], 'example')})"
        if training.get("epochs"):
            facts.append(plural(training["epochs"], "epoch") + (
                f" of {plural(training['steps_per_epoch'], 'step')}"
                if training.get("steps_per_epoch") else ""))
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
    lines += _quantile_lines(metadata)
    evaluation = metadata.get("evaluation")
    if evaluation:
        lines.append("evaluation (figures the benchmarks recorded):")
        lines += _nested(evaluation, "  ")
    else:
        lines.append("evaluation: none recorded")
    return "\n".join(lines)


def _quantile_lines(metadata: dict[str, Any]) -> list[str]:
    """What `score_quantiles` says (`zoo.outliers`): where the held-out scores come from and
    the threshold of each output; nothing for an export without a score signature."""
    from zoo.outliers import (QUANTILES_KEY, SCORE_SIGNATURE, THRESHOLD_PERCENTILE,
                              check_record, record_source, threshold)

    if not any(data.get("name") == SCORE_SIGNATURE for data in metadata["signatures"]):
        return []
    record = metadata.get(QUANTILES_KEY)
    if record is None:
        return ["score quantiles: none recorded (`zoo score` needs them; see "
                "zoo.rewrite_signatures.record_score_quantiles)"]
    try:
        check_record(record)
    except ValueError as error:
        return [f"score quantiles: the record does not parse ({error})"]
    lines = [f"score quantiles: {plural(record.get('examples', 0), 'held-out example')} "
             f"({record_source(record)}); an input is an outlier above the "
             f"{THRESHOLD_PERCENTILE:g}th percentile of its score:"]
    for name in record["outputs"]:
        mark = " (recommended)" if name == record["recommended"] else ""
        lines.append(f"  {name}{mark}: above {threshold(record, name):.6g}")
    return lines


def _registry_info(entry: Entry) -> str:
    optimizers = ", ".join(f"{name} {spec}" for name, spec in entry.optimizers.items())
    lines = [f"{entry.name}: {entry.description}",
             f"export: none (searched {', '.join(map(str, search_roots()))})",
             f"family: {entry.family}",
             f"model config: {_values(dict(entry.model_config))}",
             f"data: {entry.data.dataset}, train split {entry.data.train_split!r}, validation "
             f"split {entry.data.validation_split!r}, augmentation {entry.data.augment}",
             f"training defaults: {plural(entry.epochs, 'epoch')}, global batch "
             f"{entry.batch_size}, {optimizers}, schedule {entry.schedule}"]
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
        export: .../vae_mnist/2 (version 2; versions here: 1, 2)
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
        names = exported_entries(root)
        held = ", ".join(names) if names else "no exports" if root.is_dir() else "no such folder"
        lines.append(f"  {number}. {root} ({what}): {held}")
    shipped = shipped_exports()
    lines += [f"Shipped exports: {shipped or 'none'}",
              f"New exports are written to {exported_root()} (${EXPORTED_ENV}, else ./exported).",
              f"An export's own folder: `{PROG} info ENTRY`; a TF Serving config for a folder: "
              f"`{PROG} serving-config --exported FOLDER`."]
    return "\n".join(lines)
