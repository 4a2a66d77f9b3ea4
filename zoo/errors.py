"""The errors a user can fix, by what they mean; each message says what is wrong and what to do.

Command lines (the recipes and `python -m zoo`) print a `ZooError` as one
`error:` line and exit with status 2; anything else is a bug and keeps its
traceback. The classes that concern a bad value also derive from ValueError
(and a missing export from FileNotFoundError), so code that catches the
built-in classes keeps working.
"""

from __future__ import annotations


class ZooError(Exception):
    """A problem with what was asked for or given, rather than a bug in the zoo."""


class ConfigurationError(ZooError, ValueError):
    """Settings that cannot work: a model config value, a flag, or flags that do not fit the data."""


class DataError(ZooError, ValueError):
    """Data that cannot be read as asked: a malformed or out-of-range split, a corrupt file."""


class DataUnavailableError(DataError):
    """The data set cannot be had here: no local copy and no way to download it."""


class RunError(ZooError):
    """A run cannot start or go on as asked: a foreign run directory, changed flags."""


class TrainingDivergedError(RunError):
    """Training produced NaN or infinite losses or weights; nothing from it is saved or exported."""


class ExportError(ZooError):
    """An export cannot be written or read."""


class ExportNotFoundError(ExportError, FileNotFoundError):
    """No export where one was expected."""


class DamagedExportError(ExportError):
    """An export folder whose files are missing, truncated or altered."""


class InputError(ZooError, ValueError):
    """A signature input that does not match its declaration (shape, dtype, range, batch)."""


class ZooWarning(UserWarning):
    """A setting the zoo could not follow and went around (an $ZOO_EXPORTED_DIR that is not
    a folder); the `zoo` command prints it as one `[zoo] warning:` line on stderr."""
