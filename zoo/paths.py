"""Where exported models live, and the staging folders exports are written through."""

from __future__ import annotations

import os
import re
import shutil
import socket
from pathlib import Path

EXPORTED_ENV = "ZOO_EXPORTED_DIR"

STAGING_PATTERN = re.compile(r"^\.export-(?P<pid>[1-9][0-9]{0,9})@(?P<host>.+)\.[A-Za-z0-9_]{8}$")
"""A staging folder's name: `.export-<pid>@<hostname>.` and `tempfile.mkdtemp`'s 8 random
characters. The owner in the name is what lets a later export or load tell a folder left by
a killed process from one another process is still writing."""


def exported_root() -> Path:
    """The exported-models folder: $ZOO_EXPORTED_DIR, else the repository's `exported/`."""
    override = os.environ.get(EXPORTED_ENV)
    if override:
        return Path(override).expanduser()
    return Path(__file__).resolve().parent.parent / "exported"


def versions(entry_dir: Path) -> list[int]:
    """The version numbers exported under an entry's folder, ascending."""
    if not entry_dir.is_dir():
        return []
    return sorted(int(child.name) for child in entry_dir.iterdir()
                  if child.name.isdigit() and (child / "saved_model.pb").is_file())


def staging_prefix() -> str:
    """The name prefix of the staging folders this process creates (see `STAGING_PATTERN`).

    Example:
        >>> import os
        >>> staging_prefix().startswith(f".export-{os.getpid()}@")
        True
    """
    return f".export-{os.getpid()}@{socket.gethostname()}."


def _process_is_gone(pid: int) -> bool:
    """True only when this host certainly has no process `pid`."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (OSError, OverflowError):
        # PermissionError: it exists under another user. Anything else: do not guess.
        return False
    return False


def remove_stale_staging(entry_dir: Path) -> list[Path]:
    """Removes the staging folders in `entry_dir` left behind by dead processes of this host.

    Only folders named by `STAGING_PATTERN` whose host is this one and whose process
    no longer exists are removed: nothing else, not a live process's, not another
    host's (the folder may be shared). Errors are ignored, since the exported folder
    may be read-only; the leftovers then only take space.

    Args:
        entry_dir: an entry's folder of numbered versions.

    Returns:
        The folders removed.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     (Path(folder) / ".export-999999999@elsewhere.abcd1234").mkdir()
        ...     remove_stale_staging(Path(folder))
        []
    """
    host = socket.gethostname()
    removed = []
    try:
        children = list(entry_dir.iterdir())
    except OSError:
        return removed
    for child in children:
        match = STAGING_PATTERN.match(child.name)
        if not match or match["host"] != host or child.is_symlink() or not child.is_dir():
            continue
        if _process_is_gone(int(match["pid"])):
            shutil.rmtree(child, ignore_errors=True)
            if not child.exists():
                removed.append(child)
    return removed
