"""`zoo list`: the zoo's entries, one line each with its description."""

from __future__ import annotations

import argparse

import zoo


def add_parser(commands: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]
               ) -> None:
    """Adds `list` to the command's subparsers."""
    parser = commands.add_parser("list", parents=parents,
                                 help="the zoo's entries with a line on each")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    """Prints each entry's name and description."""
    for name, description in zoo.available().items():
        print(f"{name:<24} {description}")
