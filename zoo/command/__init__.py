"""The `zoo` command (also `python -m zoo`): list, info, sample, translate, score, train,
serving-config, export-litert, demo.

Each subcommand is a module of this package with its parser (`add_parser`) and
its `run(args)`; `build_parser` assembles them. Every subcommand reads the
entries from the registry and the exports through `zoo.load`'s search order
(see `zoo.paths.search_roots`). A problem the user can fix ends the command
with one `error: ...` line on stderr and exit status 2, whether argparse or the
zoo found it. TensorFlow's start-up log lines are hidden unless `--verbose` is
given.

Example:
    >>> main(["list"])  # doctest: +ELLIPSIS
    vae_mnist                Convolutional VAE ...
    0
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import warnings
from typing import Sequence

import zoo
from zoo.command import (demo, export_litert, info, listing, sample, score, serving_config, train,
                         translate)
from zoo.command.common import PROG, Parser, show_warning
from zoo.console import progress
from zoo.errors import ZooError

SUBCOMMANDS = (listing, info, sample, translate, score, train, serving_config, export_litert,
               demo)
"""The subcommands' modules, in the order `zoo --help` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """The `zoo` command's argument parser, one subparser per subcommand, each of which sets
    `run`, the function that carries it out."""
    parser = Parser(prog=PROG, description=zoo.__doc__.split("\n")[0],
                    epilog=f"`{PROG} COMMAND --help` describes each command.")
    verbose_help = ("show TensorFlow's start-up and C++ log lines and its Python warnings "
                    "(hidden by default)")
    parser.add_argument("-v", "--verbose", action="store_true", help=verbose_help)
    parser.add_argument("--version", action="version", version=f"{PROG} {zoo.__version__}",
                        help=f"print `{PROG} VERSION` and exit")
    # Accepted after the subcommand as well; SUPPRESS keeps a --verbose given before it.
    verbose = Parser(add_help=False)
    verbose.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                         help=verbose_help)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for subcommand in SUBCOMMANDS:
        subcommand.add_parser(commands, [verbose])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the `zoo` command; returns the exit status (2 for a problem the user can fix)."""
    try:
        with warnings.catch_warnings():
            warnings.showwarning = functools.partial(show_warning, warnings.showwarning)
            return _run(argv)
    except KeyboardInterrupt:
        progress("interrupted; nothing is half-written (files are written whole or not at all).")
        return 130
    except BrokenPipeError:
        # The reader of stdout went away (`zoo list | head`): stop quietly, as shell tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _run(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except ZooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
