"""What the `zoo` subcommands share: the command's name, usage errors as one line, the flag
types and help formatting, ZooWarnings as progress lines, and TensorFlow started quietly."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Callable, NoReturn

from zoo.console import progress, quiet_tensorflow
from zoo.errors import ZooWarning
from zoo.paths import versions
from zoo.registry import NAME_PATTERN

PROG = "zoo"


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
