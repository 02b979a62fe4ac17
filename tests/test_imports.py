"""The import graph of `lifecycle` and `simulator`: every module imports, and none in a cycle.

Every import statement counts, wherever it stands: at module level, under `TYPE_CHECKING`, or
inside a function. A function-level import runs later but still ties the two modules together,
and one under `TYPE_CHECKING` still makes the type checker (and a reader) go round in circles.
A package's `__init__` importing its own modules is not an edge back from them: Python imports
a module's parent package first, and that is not a cycle between the modules.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import lifecycle
import simulator

PACKAGES = (lifecycle, simulator)


def package_modules() -> dict[str, Path]:
    """Every module of the packages, by dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        root = Path(package.__file__ or "").parent
        for path in sorted(root.rglob("*.py")):
            parts = list(path.relative_to(root.parent).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imported_modules(module: str, source: str, known: set[str], *, is_package: bool) -> set[str]:
    """The modules among `known` that a module's source imports, anywhere in it.

    `from a import b` imports the module `a.b` when there is one, else (a name from) `a`;
    relative imports are resolved against the module's package.
    """
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                names.add(submodule if submodule in known else base)
    return (names & known) - {module}


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Each module's imports among `modules`."""
    known = set(modules)
    return {
        name: imported_modules(name, path.read_text(), known, is_package=path.name == "__init__.py")
        for name, path in modules.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the graph as the modules along it (first repeated at the end), or None."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(node: str) -> list[str] | None:
        path.append(node)
        on_path.add(node)
        for target in sorted(graph.get(node, ())):
            if target in on_path:
                return [*path[path.index(target) :], target]
            if target not in done:
                cycle = visit(target)
                if cycle is not None:
                    return cycle
        path.pop()
        on_path.discard(node)
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done:
            cycle = visit(start)
            if cycle is not None:
                return cycle
    return None


MODULES = package_modules()


class TestImportGraph:
    """The packages' modules and the imports between them."""

    @pytest.mark.parametrize(
        "module", sorted(name for name in MODULES if not name.endswith("__main__"))
    )
    def test_every_module_imports(self, module: str) -> None:
        """Each module of both packages imports on its own (not `__main__`, which runs)."""
        assert importlib.import_module(module).__name__ == module

    def test_no_import_cycle(self) -> None:
        """No module imports itself through others, counting every import wherever it stands."""
        assert find_cycle(import_graph(MODULES)) is None

    def test_graph_covers_both_packages(self) -> None:
        """The graph has every module, the simulator's facade among them, with its imports."""
        graph = import_graph(MODULES)
        assert {"lifecycle._machine", "simulator._simulator", "simulator.http._app"} <= set(graph)
        assert "simulator._world" in graph["simulator._simulator"]
        assert "lifecycle._machine" in graph["simulator._moves"]


class TestImportReading:
    """How imports are read, so that the cycle test cannot miss one."""

    def test_imports_under_type_checking_and_in_functions_count(self) -> None:
        """Imports under `TYPE_CHECKING` and inside a function are read like top-level ones."""
        source = (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n"
            "    from simulator._world import World\n"
            "def late():\n"
            "    import lifecycle._table\n"
        )
        known = {"simulator._world", "lifecycle._table", "simulator._x"}
        found = imported_modules("simulator._x", source, known, is_package=False)
        assert found == {"simulator._world", "lifecycle._table"}

    def test_relative_imports_resolve(self) -> None:
        """In `pkg.sub._a`, `from . import _b` means `pkg.sub._b`; `from ..c import x`, `pkg.c`."""
        source = "from . import _b\nfrom .. import c\nfrom ..c import thing\n"
        known = {"pkg", "pkg.c", "pkg.sub", "pkg.sub._a", "pkg.sub._b"}
        found = imported_modules("pkg.sub._a", source, known, is_package=False)
        assert found == {"pkg.sub._b", "pkg.c"}

    def test_a_cycle_is_found(self) -> None:
        """Two modules that import each other, through a third, are reported as a cycle."""
        graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
        assert find_cycle(graph) == ["a", "b", "c", "a"]

    def test_a_tree_has_no_cycle(self) -> None:
        """Modules that share imports without going round have no cycle."""
        assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
