"""`zoo export-litert`: an export's signatures as LiteRT `.tflite` files, for phones and small
devices (see `zoo.litert`)."""

from __future__ import annotations

import argparse
from pathlib import Path

import zoo
from zoo.command.common import DefaultsFormatter, check_out_folder, start_tensorflow
from zoo.errors import ConfigurationError
from zoo.litert import MANIFEST_FILE, QUANTIZE
from zoo.paths import model_argument


def add_parser(commands: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]
               ) -> None:
    """Adds `export-litert` to the command's subparsers."""
    parser = commands.add_parser(
        "export-litert", parents=parents, formatter_class=DefaultsFormatter,
        help="convert an export's signatures to LiteRT (.tflite) files for devices",
        description="Converts each signature of an export that LiteRT's builtin ops can run "
                    "to its own .tflite file, computing in float32, and writes "
                    f"{MANIFEST_FILE} beside them (inputs with their ranges, outputs, and "
                    "the signatures left out with the reason). Signatures that draw from a "
                    "seed (sample) or encode PNGs do not convert; generate, which takes the "
                    "starting noise, does. The files do not check their inputs: keep them "
                    f"within the ranges {MANIFEST_FILE} records.")
    parser.add_argument("model", metavar="ENTRY",
                        help="entry name (e.g. vae_mnist) or export directory")
    parser.add_argument("--out", type=Path, required=True,
                        help="new folder for the .tflite files and the manifest (created; "
                             "it must not hold files)")
    parser.add_argument("--signature", action="append", default=None, metavar="NAME",
                        help="a signature to convert; repeat for several (default: every "
                             "one that converts; a named one that does not is an error)")
    parser.add_argument("--quantize", choices=QUANTIZE, default="none",
                        help="weights stored as float32 (none), float16 (half the size) or "
                             "int8 with int8 compute where it helps (dynamic-int8, a quarter)")
    parser.add_argument("--version", type=int, default=None,
                        help="export version (default: newest)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    """Converts and prints the files written."""
    from zoo.litert import export_litert

    check_out_folder(args.out)
    if args.out.exists() and any(args.out.iterdir()):
        raise ConfigurationError(f"--out {args.out} already holds files; choose a new folder "
                                 "(it is created) or empty this one.")
    start_tensorflow(args.verbose)
    model = zoo.load(model_argument(args.model), args.version)
    manifest = export_litert(model, args.out, args.signature, args.quantize,
                             quiet=not args.verbose)
    for name, record in manifest["signatures"].items():
        print(f"{args.out / record['file']}  {record['bytes']:,} bytes  ({name})")
    print(args.out / MANIFEST_FILE)
