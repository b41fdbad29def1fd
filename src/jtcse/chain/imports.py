"""Which ``jtcse`` modules a piece of code runs: a walk of the import statements.

Every ``import`` and ``from ... import`` of a module counts, inside functions too (the
project defers heavy imports into the functions that need them), except those under
``if TYPE_CHECKING:`` (never run). Importing ``jtcse.a.b`` also runs ``jtcse/__init__.py``
and ``jtcse/a/__init__.py``, so a module's packages count with it. A package that exports
names lazily (PEP 562: ``jtcse``, ``jtcse.training``) lists under ``if TYPE_CHECKING:``
where each name lives, so ``from jtcse.training import train_tower`` counts
``jtcse.training.towers``, the module its ``__getattr__`` imports.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

PACKAGE = "jtcse"
PACKAGE_FOLDER = Path(__file__).resolve().parents[1]  # src/jtcse


def module_file(module: str) -> Path | None:
    """The source file of a ``jtcse`` module or package; None for any other module (or a
    name that is not a module, such as a function imported from a package)."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    base = PACKAGE_FOLDER.joinpath(*parts[1:])
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def reachable_modules(roots: Iterable[str]) -> set[str]:
    """The ``jtcse`` modules that importing ``roots`` (module names) may run: the roots, the
    modules they import, transitively, and the packages of each."""
    seen: set[str] = set()
    pending = [module for root in roots for module in _with_packages(root)]
    while pending:
        module = pending.pop()
        if module in seen or module_file(module) is None:
            continue
        seen.add(module)
        for imported in imported_modules(module):
            pending.extend(_with_packages(imported))
    return seen


def imported_modules(module: str) -> set[str]:
    """The ``jtcse`` modules that the source of ``module`` imports (one level)."""
    path = module_file(module)
    if path is None:
        return set()
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for statement in _run_statements(tree):
        if isinstance(statement, ast.Import):
            names.update(alias.name for alias in statement.names)
        elif isinstance(statement, ast.ImportFrom):
            source = _absolute(statement, package)
            lazy = lazy_exports(source)
            names.add(source)
            for alias in statement.names:
                # `from jtcse.a import b`: the module jtcse.a.b when there is one, else the
                # module a lazy package takes b from
                names.add(lazy.get(alias.name, f"{source}.{alias.name}"))
    return {name for name in names if module_file(name) is not None}


def lazy_exports(package: str) -> dict[str, str]:
    """Name -> module for the names a package's ``if TYPE_CHECKING:`` block imports (where a
    PEP 562 ``__getattr__`` finds them); empty for a module that is no ``jtcse`` package."""
    path = module_file(package)
    if path is None or path.name != "__init__.py":
        return {}
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    exports = {}
    for node in tree.body:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for statement in node.body:
                if isinstance(statement, ast.ImportFrom):
                    source = _absolute(statement, package)
                    exports.update(
                        {alias.asname or alias.name: source for alias in statement.names}
                    )
    return exports


def _run_statements(tree: ast.AST) -> Iterator[ast.stmt]:
    """Every import statement of ``tree`` except those under ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        run = node.orelse if isinstance(node, ast.If) and _is_type_checking(node.test) else [node]
        for statement in run:
            if isinstance(statement, ast.Import | ast.ImportFrom):
                yield statement
            yield from _run_statements(statement)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _absolute(statement: ast.ImportFrom, package: str) -> str:
    """The absolute module name of a ``from ... import`` (relative ones resolved)."""
    if not statement.level:
        return statement.module or ""
    base = package.split(".")
    base = base[: len(base) - statement.level + 1]
    return ".".join([*base, *([statement.module] if statement.module else [])])


def _with_packages(module: str) -> list[str]:
    """``a.b.c`` -> ``[a, a.b, a.b.c]``: importing a module runs its packages first."""
    parts = module.split(".")
    return [".".join(parts[: index + 1]) for index in range(len(parts))]
