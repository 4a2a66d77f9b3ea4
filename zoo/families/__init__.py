"""Model families, found by name: the family `name` is the package `zoo.families.<name>`, whose
`__init__` declares its `FAMILY` (a `zoo.families.base.Family`); imported on first use.

A family's folder holds its `model`, `networks`, `signatures` and `plots` modules and its test
case (`case`); the modules beside the folders (`base`, `adversarial`, ...) are helpers the
families share. docs/adding_a_family.md walks through adding one.
"""

from __future__ import annotations

import importlib
import pkgutil

from zoo.errors import ConfigurationError
from zoo.families.base import Family


def family_names() -> list[str]:
    """The names of the families in the package: its subpackages, sorted."""
    return sorted(module.name for module in pkgutil.iter_modules(__path__) if module.ispkg)


def get_family(name: str) -> Family:
    """The family called `name` (the package `zoo.families.<name>`)."""
    if name not in family_names():
        raise ConfigurationError(f"Unknown model family {name!r}; known: "
                                 f"{', '.join(family_names())}.")
    return importlib.import_module(f"{__name__}.{name}").FAMILY
