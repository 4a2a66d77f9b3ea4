"""No import cycle in zoo/: the import graph, read from the source, has none (neither among the
imports a module runs when imported nor counting the imports inside functions), and every module
imports on its own in a fresh interpreter."""

from __future__ import annotations

import ast
import dataclasses
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import REPO

PACKAGE = REPO / "zoo"


@dataclasses.dataclass(frozen=True)
class Edge:
    """`importer` imports `imported` (at `line`), when imported or inside a function."""

    importer: str
    imported: str
    line: int
    in_function: bool

    def __str__(self) -> str:
        where = "inside a function" if self.in_function else "when imported"
        return f"{self.importer} imports {self.imported} {where} (line {self.line})"


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its `__init__.py`)."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _ancestors(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts))]


def _imported_names(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool
                    ) -> list[str]:
    """The dotted names an import statement asks for (`from a import b` asks for `a.b`)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = importer if is_package else importer.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    return [f"{base}.{alias.name}" for alias in node.names]


def import_graph() -> list[Edge]:
    """The imports between zoo's modules, from their source.

    `from a import b` imports the module `a.b` when there is one, else `a`; importing
    `a.b.c` imports the packages `a` and `a.b` first, so those are edges too, but not
    a module's own packages, which are imported before it. Imports under
    `if TYPE_CHECKING:` never run and are left out. An import inside a function
    is marked so; its edge to the function's own package is left out, as a package
    is imported by the time its modules' functions run.
    """
    modules = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    edges = set()
    for importer, path in modules.items():
        own = set(_ancestors(importer))

        def visit(node: ast.AST, in_function: bool) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    continue
                inner = in_function or isinstance(
                    child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    for name in _imported_names(child, importer, path.name == "__init__.py"):
                        target = resolve(name)
                        if target is None or target == importer:
                            continue
                        for imported in [*_ancestors(target), target]:
                            if imported == importer:
                                continue
                            if imported not in own or (imported == target and not inner):
                                edges.add(Edge(importer, imported, child.lineno, inner))
                visit(child, inner)

        visit(ast.parse(path.read_text(), str(path)), False)
    return sorted(edges, key=lambda edge: (edge.importer, edge.imported, edge.line))


def find_cycle(edges: list[Edge]) -> list[Edge] | None:
    """One cycle of the graph, as the edges that make it, or None."""
    following: dict[str, list[Edge]] = {}
    for edge in edges:
        following.setdefault(edge.importer, []).append(edge)
    done: set[str] = set()
    path: list[Edge] = []
    on_path: dict[str, int] = {}

    def walk(module: str) -> list[Edge] | None:
        on_path[module] = len(path)
        for edge in following.get(module, []):
            if edge.imported in on_path:
                return path[on_path[edge.imported]:] + [edge]
            if edge.imported not in done:
                path.append(edge)
                cycle = walk(edge.imported)
                if cycle:
                    return cycle
                path.pop()
        del on_path[module]
        done.add(module)
        return None

    for module in sorted(following):
        if module not in done:
            cycle = walk(module)
            if cycle:
                return cycle
    return None


def _message(cycle: list[Edge]) -> str:
    return "import cycle:\n  " + "\n  ".join(map(str, cycle))


def test_the_graph_reader_finds_edges_and_cycles():
    edges = import_graph()
    pairs = {(edge.importer, edge.imported, edge.in_function) for edge in edges}
    assert ("zoo.loading", "zoo.export_format", False) in pairs
    assert ("zoo.serving", "zoo.loading", True) in pairs
    # `from zoo.families import get_family` in zoo.export: the package; and in
    # zoo.families.vae.signatures, `from zoo.families.vae.model import VAE`: the module only,
    # as its packages are imported before it.
    assert ("zoo.export", "zoo.families", False) in pairs
    assert ("zoo.families.vae.signatures", "zoo.families.vae.model", False) in pairs
    assert not {edge for edge in pairs if edge[0] == "zoo.families.vae.signatures"
                and edge[1] in ("zoo", "zoo.families", "zoo.families.vae")}
    made_up = [Edge("a", "b", 1, False), Edge("b", "c", 2, True), Edge("c", "a", 3, False)]
    assert find_cycle(made_up) == made_up
    assert _message(made_up).endswith("c imports a when imported (line 3)")
    assert find_cycle(made_up[:2]) is None


def test_no_module_imports_itself_through_others_when_imported():
    cycle = find_cycle([edge for edge in import_graph() if not edge.in_function])
    assert cycle is None, _message(cycle)


def test_no_cycle_through_imports_inside_functions_either():
    """Such a cycle does not fail at import, but it ties two layers together (the exporter
    and the loader, say) that should depend one way."""
    cycle = find_cycle(import_graph())
    assert cycle is None, _message(cycle)


FRESH_IMPORTS = textwrap.dedent("""
    import importlib, os, sys, traceback

    preload, modules = sys.argv[1].split(), sys.argv[2].split()
    for name in preload:  # the third-party packages, once, to save each child the time
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    assert not [name for name in sys.modules if name.split(".")[0] == "zoo"]
    failed = []
    for module in modules:
        read, write = os.pipe()
        child = os.fork()
        if child == 0:
            os.close(read)
            try:
                importlib.import_module(module)
                os._exit(0)
            except BaseException:
                os.write(write, traceback.format_exc().encode())
                os._exit(1)
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            report = pipe.read().decode()
        if os.waitpid(child, 0)[1]:
            failed.append(f"import {module}:\\n{report}")
    print("\\n".join(failed))
    sys.exit(1 if failed else 0)
""")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_every_module_imports_alone_in_a_fresh_interpreter():
    """Each module is the first of the package to be imported, in a child forked from an
    interpreter that holds the third-party packages only (importing TensorFlow once rather
    than once per module keeps this to seconds)."""
    modules = _modules()
    third_party = set()
    for path in modules.values():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import):
                third_party.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                third_party.add(node.module.split(".")[0])
    third_party -= {"zoo", "__future__"}
    result = subprocess.run(
        [sys.executable, "-c", FRESH_IMPORTS, " ".join(sorted(third_party)),
         " ".join(modules)], cwd=REPO, capture_output=True, text=True, timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]


def test_declarations_export_format_and_input_checks_import_without_tensorflow():
    """`zoo info` and the serving client read declarations and zoo.json without TensorFlow."""
    code = ("import sys, zoo.signatures, zoo.export_format, zoo.input_checks; "
            "print(sorted({'tensorflow', 'keras'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"
