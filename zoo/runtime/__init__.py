"""The training runtime: recipe flags, strategies, the fit loop, callbacks and export.

Importing this package is light (TensorFlow is imported by `run_recipe`, after its
start-up noise is hidden), so a recipe is quiet from its first line.
"""

from __future__ import annotations

import sys
from typing import Sequence

from zoo.console import VERBOSE_FLAGS, quiet_tensorflow


def run_recipe(entry: str, argv: Sequence[str] | None = None) -> int:
    """A recipe's whole program (`python recipes/<entry>.py [flags]`), as `zoo train` runs it:
    TensorFlow's start-up lines hidden unless `--verbose`, progress on stderr, the export
    folder on stdout; returns the exit status (2 for a problem the user can fix).

    Args:
        entry: the zoo entry the recipe trains.
        argv: the flags (default: the command line's).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if not any(flag in VERBOSE_FLAGS for flag in argv):
        quiet_tensorflow()
    from zoo.runtime.train import main

    return main(entry, argv)
