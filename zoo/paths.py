"""Where exported models live, and the staging folders exports are written through.

Loading by name searches several folders (`search_roots`); writing goes to one
(`exported_root`). That way a wheel install (`pip install .`) brings the shipped
models along, while new exports never land inside the installed package.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sys
import warnings
from pathlib import Path

from zoo.errors import ZooWarning

EXPORTED_ENV = "ZOO_EXPORTED_DIR"

PACKAGE_EXPORTS = Path(__file__).resolve().parent / "_exported"
"""The shipped exports a wheel installs inside the package (mapped from the checkout's
`exported/` by setup.cfg)."""

STAGING_PATTERN = re.compile(r"^\.export-(?P<pid>[1-9][0-9]{0,9})@(?P<host>.+)\.[A-Za-z0-9_]{8}$")
"""A staging folder's name: `.export-<pid>@<hostname>.` and `tempfile.mkdtemp`'s 8 random
characters. The owner in the name is what lets a later export or load tell a folder left by
a killed process from one another process is still writing."""


def exported_root() -> Path:
    """The folder new exports are written to: $ZOO_EXPORTED_DIR, else `./exported`.

    The recipes' default `--export-dir`, and the benchmarks' `--update-metadata`
    for a model given by name, use it; never the copies installed with the package.

    Example:
        >>> import os
        >>> exported_root() == Path(os.environ.get(EXPORTED_ENV) or "exported").absolute()
        True
    """
    override = os.environ.get(EXPORTED_ENV)
    return Path(override).expanduser().absolute() if override else Path.cwd() / "exported"


def checkout_exports() -> Path | None:
    """The `exported/` of the source checkout this package is imported from (an editable
    install or a plain checkout), or None when it comes from an installed wheel."""
    root = PACKAGE_EXPORTS.parent.parent
    return root / "exported" if (root / "setup.cfg").is_file() else None


def shipped_exports() -> Path | None:
    """The folder of the exports shipped with the zoo: the copies installed with the package
    (a wheel install), else the source checkout's `exported/`; None when neither exists.

    The folder to mount for TF Serving to serve the shipped models (see `zoo info`).

    Example:
        >>> "vae_mnist" in {path.name for path in shipped_exports().iterdir()}
        True
    """
    return PACKAGE_EXPORTS if PACKAGE_EXPORTS.is_dir() else checkout_exports()


def search_order() -> list[tuple[Path, str]]:
    """`search_roots()`, each folder with a few words on what it is (for `zoo info`).

    Example:
        >>> [root for root, _ in search_order()] == search_roots()
        True
    """
    override = os.environ.get(EXPORTED_ENV)
    candidates = [(exported_root(), f"${EXPORTED_ENV}" if override else "./exported"),
                  (checkout_exports(), "the checkout's exported/, shipped with the zoo"),
                  (PACKAGE_EXPORTS if PACKAGE_EXPORTS.is_dir() else None,
                   "installed with the package, shipped with the zoo")]
    if override:
        candidates.insert(1, (Path.cwd() / "exported", "./exported"))
    roots: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    for root, what in candidates:
        if root is not None and root.resolve() not in seen:
            seen.add(root.resolve())
            roots.append((root, what))
    if override and not roots[0][0].is_dir():
        _warn_missing_override([root for root, _ in roots])
    return roots


def search_roots() -> list[Path]:
    """The folders an entry name is looked up in, in order; the first one holding it wins.

    1. $ZOO_EXPORTED_DIR, when set (a value that is no folder is warned about once,
       with a `zoo.errors.ZooWarning`, and the search goes on);
    2. `./exported` in the current directory;
    3. the source checkout's `exported/`, for an editable install;
    4. the shipped exports installed with the package (`PACKAGE_EXPORTS`), when there
       are any (a wheel install).

    A folder that appears twice (the current directory is the checkout, say) is
    listed once, at its first place.

    Example:
        >>> search_roots()[0] == exported_root()
        True
    """
    return [root for root, _ in search_order()]


_WARNED_OVERRIDES: set[str] = set()
"""The $ZOO_EXPORTED_DIR values already warned about: one warning per value and process,
however many lookups go past it."""


def _warn_missing_override(roots: list[Path]) -> None:
    """Warns (a `ZooWarning`) that $ZOO_EXPORTED_DIR names no folder, so lookups go on to
    the next folders of the search order: a mistyped path would otherwise load the shipped
    model without a word."""
    value = os.environ[EXPORTED_ENV]
    if value in _WARNED_OVERRIDES:
        return
    _WARNED_OVERRIDES.add(value)
    others = ", ".join(str(root) for root in roots[1:] if root.is_dir())
    warnings.warn(f"${EXPORTED_ENV}={value} is not a folder; looking for exports in "
                  f"{others or 'the rest of the search order (none of it exists)'} instead.",
                  ZooWarning, stacklevel=_first_caller_outside_the_package())


def _first_caller_outside_the_package() -> int:
    """The `stacklevel`, for a `warnings.warn` in the function calling this one, of the first
    frame outside the zoo package, so that a warning names the user's line, not the zoo's."""
    package = str(Path(__file__).resolve().parent) + os.sep
    frame, level = sys._getframe(1), 1
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def find_entry(name: str, roots: list[Path] | None = None) -> Path | None:
    """The folder of an entry's versions in the first root that holds an export of it.

    Args:
        name: an entry name (no path separators).
        roots: the folders to look in; default `search_roots()`.

    Returns:
        `<root>/<name>` for the first root with at least one version of `name`,
        or None when no root has one.

    Example:
        >>> find_entry("vae_mnist").name
        'vae_mnist'
    """
    for root in search_roots() if roots is None else roots:
        if versions(root / name):
            return root / name
    return None


def model_argument(text: str, writing: bool = False) -> str | Path:
    """A command line's model argument as `zoo.load` takes it.

    Args:
        text: an entry name, or a directory (anything with a path separator).
        writing: whether the command writes into the export (a benchmark's
            `--update-metadata`): a name then means the entry's folder under
            `exported_root()`, never a copy found elsewhere in the search order.

    Returns:
        A `Path` for a directory or a written export, else the name. A directory
        `zoo.load` takes as text (absolute, or starting with `./`) stays text, so
        that its messages quote it as the user wrote it.

    Example:
        >>> model_argument("vae_mnist"), model_argument("runs/exported/vae_mnist/1")
        ('vae_mnist', PosixPath('runs/exported/vae_mnist/1'))
        >>> model_argument("./runs/exported/vae_mnist/1")
        './runs/exported/vae_mnist/1'
        >>> model_argument("vae_mnist", writing=True) == exported_root() / "vae_mnist"
        True
    """
    if os.sep in text or (os.altsep and os.altsep in text):
        return text if text.startswith("./") or os.path.isabs(text) else Path(text)
    return exported_root() / text if writing else text


def nearest_existing(path: Path) -> Path:
    """`path`, or its nearest ancestor that exists (of the path as given: a relative path
    stops at its first part): what decides whether `path` can be made.

    Example:
        >>> nearest_existing(Path("/no_such_folder/below")) == Path("/")
        True
    """
    existing = Path(path)
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    return existing


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
