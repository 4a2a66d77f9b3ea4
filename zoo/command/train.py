"""`zoo train ENTRY [flags]`: the recipe `python recipes/ENTRY.py [flags]`, from any install.

It trains, checkpoints and exports the entry with the recipe's flags; progress
goes to stderr, and the export folder, the run's one result, to stdout.
"""

from __future__ import annotations

import argparse
import sys

from zoo.command.common import PROG, start_tensorflow, usage_error
from zoo.console import VERBOSE_FLAGS, progress
from zoo.registry import ENTRIES


def add_parser(commands: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]
               ) -> None:
    """Adds `train` to the command's subparsers; the recipe's parser reads its flags, so
    `--verbose` among them is the recipe's (not one of `parents`)."""
    parser = commands.add_parser(
        "train", help=f"train and export an entry (`{PROG} train ENTRY --help` lists its flags)",
        usage=f"{PROG} train ENTRY [flags]",
        description=f"Trains, checkpoints and exports an entry: `{PROG} train ENTRY [flags]` "
                    "is the recipe `python recipes/ENTRY.py [flags]`, with the same flags.")
    parser.add_argument("entry", nargs="?", metavar="ENTRY", help=f"one of: {', '.join(ENTRIES)}")
    parser.add_argument("flags", nargs=argparse.REMAINDER,
                        help=f"the recipe's flags (`{PROG} train ENTRY --help` lists them)")
    parser.set_defaults(run=run, parser=parser)


def run(args: argparse.Namespace) -> None:
    """Parses the recipe's flags and trains; prints the export folder."""
    name = args.entry
    if name is None:
        usage_error(args.parser, f"`{PROG} train` needs an entry: one of {', '.join(ENTRIES)}")
    if name not in ENTRIES:
        usage_error(args.parser, f"unknown entry {name!r} for `{PROG} train`; known entries: "
                                 f"{', '.join(ENTRIES)}")
    start_tensorflow(args.verbose or any(flag in VERBOSE_FLAGS for flag in args.flags))
    from zoo.runtime.cli import build_parser as recipe_parser

    entry = ENTRIES[name]
    recipe = recipe_parser(entry, prog=f"{PROG} train {name}")
    recipe.error = lambda message: usage_error(recipe, message)  # one line, as everywhere here
    recipe_args = recipe.parse_args(args.flags)
    from zoo.runtime.train import interrupted_words, train

    try:
        version = train(entry, recipe_args)
    except KeyboardInterrupt:
        progress(interrupted_words(recipe_args.out))
        sys.exit(130)
    if version is not None:  # progress went to stderr; the result is the export folder
        print(version)
