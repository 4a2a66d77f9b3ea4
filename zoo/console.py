"""What the zoo's command lines share on the terminal: progress lines on stderr, so that
stdout keeps only results, and TensorFlow's start-up noise hidden unless asked for.

The `zoo` command and the recipes (`python recipes/<entry>.py`) both use it, so
they look and behave alike (`--verbose` shows what is hidden).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from typing import Iterator, Sequence

LOG_LEVEL_ENV = "TF_CPP_MIN_LOG_LEVEL"
QUIET_MODULES = r"(tensorflow|tensorflow_datasets|keras|absl)(\.|$)"
"""The modules whose Python warnings are hidden without --verbose."""
VERBOSE_FLAGS = ("-v", "--verbose")
VERBOSE_HELP = ("show TensorFlow's start-up and C++ log lines and its Python warnings "
                "(hidden by default)")
"""The help of the --verbose flag of the scripts that `quiet_script` quiets."""


def progress(message: str) -> None:
    """A progress line on stderr (`[zoo] ...`), so that stdout keeps only the results."""
    print(f"[zoo] {message}", file=sys.stderr, flush=True)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 image`, `2 images`.

    Example:
        >>> plural(1, "image"), plural(3, "image"), plural(2, "class", "classes")
        ('1 image', '3 images', '2 classes')
    """
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


@contextlib.contextmanager
def stderr_to(path: str | os.PathLike) -> Iterator[None]:
    """Sends file descriptor 2 to the file `path` for the block: what C++ code writes there
    (TensorFlow's start-up lines, the LiteRT converter's diagnostics) as well as Python's."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(path, "w") as target:
            os.dup2(target.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _stderr_silenced() -> contextlib.AbstractContextManager[None]:
    """Sends file descriptor 2 to /dev/null: TensorFlow's C++ start-up lines do not heed
    TF_CPP_MIN_LOG_LEVEL, as they are written before its logging is set up."""
    return stderr_to(os.devnull)


def quiet_tensorflow() -> None:
    """Hides TensorFlow's C++ log lines, its start-up notices and its Python warnings.

    Sets `TF_CPP_MIN_LOG_LEVEL` to 3 and imports TensorFlow with stderr silenced
    (a failed import still raises). Does nothing when TensorFlow is already
    imported: its start-up is over, and the program that imported it chose how
    it logs.
    """
    if "tensorflow" in sys.modules:
        return
    os.environ[LOG_LEVEL_ENV] = "3"
    warnings.filterwarnings("ignore", module=QUIET_MODULES)
    for name in ("tensorflow", "absl", "tensorflow_datasets"):
        logging.getLogger(name).setLevel(logging.ERROR)
    with _stderr_silenced():
        import tensorflow  # noqa: F401


def quiet_script(argv: Sequence[str] | None = None) -> None:
    """For a script whose imports load TensorFlow (the benchmarks), called before them: its
    start-up lines hidden by `quiet_tensorflow`, as the `zoo` command and the recipes hide
    them, unless the command line (default `sys.argv[1:]`) has `--verbose` or `-v`."""
    argv = sys.argv[1:] if argv is None else argv
    if not any(flag in VERBOSE_FLAGS for flag in argv):
        quiet_tensorflow()
