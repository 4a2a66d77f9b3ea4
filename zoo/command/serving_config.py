"""`zoo serving-config`: a TF Serving models.config for the exports of a folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from zoo.command.common import PROG, DefaultsFormatter, exported_entries
from zoo.errors import ExportNotFoundError
from zoo.paths import search_roots


def add_parser(commands: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]
               ) -> None:
    """Adds `serving-config` to the command's subparsers."""
    parser = commands.add_parser(
        "serving-config", parents=parents, formatter_class=DefaultsFormatter,
        help="print a TF Serving models.config for the exports of a folder",
        description="Prints a TF Serving model config file (text protobuf) with one model per "
                    "entry exported under the folder. Serve it with `tensorflow_model_server "
                    "--model_config_file=models.config` with the folder mounted at "
                    "--base-path.")
    parser.add_argument("--exported", type=Path, default=None,
                        help="folder of exports (default: the first folder of the search "
                             "order that holds any: $ZOO_EXPORTED_DIR, ./exported, the "
                             "checkout's exported/, the installed copies)")
    parser.add_argument("--base-path", default="/models",
                        help="where the server sees that folder; each model's base_path is "
                             "<base-path>/<entry>")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    """Prints `serving_config` of the folder."""
    print(serving_config(args.exported, args.base_path), end="")


def _text_proto_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
            name: "ae_mnist"
            base_path: "/models/ae_mnist"
            model_platform: "tensorflow"
          }
        ...
    """
    if exported is None:
        roots = search_roots()
        exported = next((root for root in roots if exported_entries(root)), None)
        if exported is None:
            raise ExportNotFoundError(f"No exports in any of {', '.join(map(str, roots))}; "
                                      f"train one with `{PROG} train ENTRY`, or pass "
                                      "--exported FOLDER.")
    if not exported.is_dir():
        raise ExportNotFoundError(f"--exported {exported} is not a folder; pass the folder the "
                                  "zoo exported to (it holds <entry>/<version>/saved_model.pb).")
    names = exported_entries(exported)
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
