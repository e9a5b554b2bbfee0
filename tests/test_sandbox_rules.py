"""The sandbox's house rules, read from its source: it speaks the wire on its own (no import of
the client, only of ``_vendor``), and its modules and functions stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import multimarkets_async.sandbox

SANDBOX = Path(multimarkets_async.sandbox.__file__).parent
PACKAGE = "multimarkets_async"
ALLOWED = (f"{PACKAGE}.sandbox", f"{PACKAGE}._vendor")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60

MODULES = sorted(SANDBOX.rglob("*.py"))


def module_name(path: Path) -> str:
    """The dotted name of a module of the sandbox (a package's is its ``__init__``'s)."""
    parts = [PACKAGE, *path.relative_to(SANDBOX.parent).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, name: str, is_package: bool = False) -> list[tuple[int, str]]:
    """``(line, absolute module name)`` of every import in module ``name``'s ``source``
    (relative imports resolved; ``from X import y`` counts as ``X.y`` too)."""
    package = name if is_package else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                kept = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join([*kept, *([node.module] if node.module else [])])
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def forbidden(module: str) -> bool:
    """Whether the sandbox may not import ``module`` (the client's, not its own or _vendor)."""
    if module != PACKAGE and not module.startswith(f"{PACKAGE}."):
        return False
    if module == PACKAGE:
        return False  # only the names taken from it count (checked as PACKAGE.name)
    return not any(module == ok or module.startswith(f"{ok}.") for ok in ALLOWED)


def test_the_rule_sees_absolute_and_escaping_relative_imports() -> None:
    name = f"{PACKAGE}.sandbox.gateway._checks"
    source = (
        "from multimarkets_async import client\n"
        "import multimarkets_async.errors\n"
        "from ...models import Customer\n"
        "from ... import _pipeline\n"
        "from ..._vendor import error_messages\n"
        "from ... import _vendor\n"
        "from .. import routes\n"
        "from ._context import Gateway\n"
    )
    bad = sorted({line for line, module in imported(source, name) if forbidden(module)})
    assert bad == [1, 2, 3, 4]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SANDBOX)))
def test_the_sandbox_imports_nothing_of_the_client(path: Path) -> None:
    name = module_name(path)
    found = imported(path.read_text(), name, is_package=path.name == "__init__.py")
    bad = [f"{path.name}:{line} imports {module}" for line, module in found if forbidden(module)]
    assert not bad


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SANDBOX)))
def test_modules_and_functions_stay_small(path: Path) -> None:
    source = path.read_text()
    assert len(source.splitlines()) <= MAX_MODULE_LINES
    too_long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not too_long
