"""A family is one folder: each family's files share one layout, and adding one needs nothing
outside its folder but its registry entries, their recipes and, for new data, a data source.

The files a family contributes are listed from the checkout itself, so a shared module (or a
shared test) that starts naming a family fails here."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from zoo.families import family_names, get_family
from zoo.registry import ENTRIES
from helpers import REPO

LAYOUT = ("__init__.py", "model.py", "networks.py", "signatures.py", "plots.py", "case.py")
"""The modules every family folder holds (a family may add more, e.g. CycleGAN's pool)."""
OPTIONAL = {"baseline.py": "step"}
"""The modules a family may add that shared code looks for, with what each must provide:
`baseline.py`'s `step` is the family's float32 baseline in benchmarks/train_throughput.py."""

FAMILIES = family_names()
SHARED_TESTS = {"tests/families/test_conformance.py", "tests/test_precision.py",
                "tests/serving_exports.py", "tests/test_export.py"}
"""The tests every family passes, which read each family's case instead of naming it."""
SHARED_BENCHMARKS = {"benchmarks/train_throughput.py"}
"""The benchmarks of every entry, which find a family's part in its folder instead of naming it."""
CODE = [path for pattern in ("zoo/**/*.py", "tests/**/*.py", "benchmarks/*.py", "recipes/*.py",
                             "examples/*.py", ".ci/*", "setup.py", "setup.cfg")
        for path in REPO.glob(pattern)
        if path.is_file() and "__pycache__" not in path.parts and path != Path(__file__)]


def _mentions(path: Path, family: str) -> bool:
    """Whether the file imports the family's package or names the family in a string."""
    text = path.read_text()
    return bool(re.search(rf"zoo[./]families[./]{family}\b|families/{family}/"
                          rf"|[\"']{family}[\"']", text))


def _folder(family: str) -> Path:
    return REPO / "zoo" / "families" / family


def contributions(family: str) -> set[str]:
    """The files of the checkout that make up the family, relative to the checkout: its folder,
    the registry (if it has entries there) and the recipes of its entries."""
    files = {str(path.relative_to(REPO)) for path in _folder(family).glob("*.py")}
    entries = [name for name, entry in ENTRIES.items() if entry.family == family]
    if entries:
        files.add("zoo/registry.py")
    files |= {f"recipes/{name}.py" for name in entries}
    return files


@pytest.mark.parametrize("family", FAMILIES)
def test_a_family_folder_has_the_shared_layout_and_declares_the_family(family):
    missing = [name for name in LAYOUT if not (_folder(family) / name).is_file()]
    assert not missing, f"zoo/families/{family} lacks {missing}"
    assert get_family(family).name == family
    assert all((REPO / recipe).is_file() for recipe in contributions(family)
               if recipe.startswith("recipes/"))


@pytest.mark.parametrize("family", FAMILIES)
def test_an_optional_family_module_provides_what_shared_code_reads(family):
    for name, attribute in OPTIONAL.items():
        if (_folder(family) / name).is_file():
            module = importlib.import_module(f"zoo.families.{family}.{name.removesuffix('.py')}")
            assert callable(getattr(module, attribute, None)), \
                f"zoo/families/{family}/{name} lacks {attribute}()"


@pytest.mark.parametrize("family", FAMILIES)
def test_a_family_imports_no_other_family(family):
    others = "|".join(name for name in FAMILIES if name != family)
    for path in _folder(family).glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not re.match(rf"zoo\.families\.({others})\b", node.module), \
                    f"{path.relative_to(REPO)} imports {node.module}; shared helpers go beside " \
                    "the family folders (zoo/families/*.py)"


@pytest.mark.parametrize("family", FAMILIES)
def test_nothing_outside_a_family_names_it_but_its_own_entries_recipes_and_tests(family):
    # A family's own tests (tests/families/test_<family>_*.py) and the benchmarks that measure
    # its entries alone may name it; nothing shared (SHARED_BENCHMARKS included) may need to.
    own_tests = re.compile(rf"tests/families/test_{family}_\w+\.py$")
    outside = {str(path.relative_to(REPO)) for path in CODE
               if _mentions(path, family) and _folder(family) not in path.parents}
    shared = {path for path in outside - contributions(family)
              if not own_tests.search(path) and (not path.startswith(("benchmarks/", "tests/"))
                                                 or path in SHARED_BENCHMARKS)}
    assert shared == set(), f"shared code names the {family} family: {sorted(shared)}"
    shared_tests = {path for path in outside
                    if path.startswith("tests/") and not own_tests.search(path)
                    and path in SHARED_TESTS}
    assert shared_tests == set(), f"shared tests name the {family} family: {sorted(shared_tests)}"


def test_the_template_family_is_its_folder_alone():
    # No entry, no recipe, and no code outside its folder that needs it (tests may use it).
    assert contributions("template") == {f"zoo/families/template/{name}" for name in LAYOUT}
    assert [path for path in CODE if _mentions(path, "template")
            and _folder("template") not in path.parents
            and REPO / "tests" not in path.parents] == []
