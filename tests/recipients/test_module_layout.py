"""The recipient-file code stays layered: content rules below, no import cycles, small modules."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "appio_core"
PACKAGES = ("content", "recipient_file")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def _modules() -> dict[str, Path]:
    return {
        f"appio_core.{package}.{path.stem}": path
        for package in PACKAGES
        for path in (CORE / package).glob("*.py")
        if path.stem != "__init__"
    }


def test_content_rules_never_import_the_recipient_file_code() -> None:
    offenders = [
        name
        for name, path in _modules().items()
        if name.startswith("appio_core.content.")
        and any(m.startswith("appio_core.recipient_file") for m in _imports(path))
    ]
    assert offenders == []


def test_the_recipient_file_modules_import_one_another_without_cycles() -> None:
    modules = _modules()
    graph = {name: {m for m in _imports(path) if m in modules} for name, path in modules.items()}
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        assert name not in visiting, " -> ".join((*trail, name))
        if name in done:
            return
        visiting.add(name)
        for target in graph[name]:
            visit(target, (*trail, name))
        visiting.discard(name)
        done.add(name)

    for name in graph:
        visit(name, ())


def test_no_module_of_these_packages_is_over_400_lines() -> None:
    long = {
        name: n
        for name, path in _modules().items()
        if (n := len(path.read_text().splitlines())) > 400
    }
    assert long == {}
