"""Model families, by name; each module exposes a `FAMILY` and is imported on first use."""

from __future__ import annotations

import importlib

from zoo.families.base import Family

_MODULES = {"vae": "zoo.families.vae", "gan": "zoo.families.gan",
            "pix2pix": "zoo.families.pix2pix", "cyclegan": "zoo.families.cyclegan"}


def get_family(name: str) -> Family:
    """The family registered under `name`."""
    if name not in _MODULES:
        raise ValueError(f"Unknown model family {name!r}; known: {', '.join(sorted(_MODULES))}.")
    return importlib.import_module(_MODULES[name]).FAMILY
