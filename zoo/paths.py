"""Where exported models live."""

from __future__ import annotations

import os
from pathlib import Path

EXPORTED_ENV = "ZOO_EXPORTED_DIR"


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
