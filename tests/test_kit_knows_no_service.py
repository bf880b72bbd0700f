"""The shared kit keeps mechanisms only: nothing under libs/servicekit imports a service package or
names an action a service declares (actions belong to the services' own permissions.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.platform_tables import REPO, service_actions, service_packages

pytestmark = pytest.mark.unit

KIT = REPO / "libs" / "servicekit"
TEXT_SUFFIXES = {".py", ".toml", ".md", ".txt", ".json", ".yaml", ".yml", ".cfg", ".ini"}


def kit_files() -> list[Path]:
    skip = {"__pycache__", ".pytest_cache"}
    return [p for p in sorted(KIT.rglob("*")) if p.is_file() and p.suffix in TEXT_SUFFIXES
            and not skip & set(p.parts) and not any(part.endswith(".egg-info") for part in p.parts)]


def imported_modules(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module":
            found |= {a.value for a in node.args[:1] if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return found


def test_the_kit_has_files_to_check_and_the_services_have_actions():
    assert any(p.name == "access.py" for p in kit_files()) and len(service_packages()) >= 5 and service_actions()


@pytest.mark.parametrize("path", [p for p in kit_files() if p.suffix == ".py"], ids=lambda p: p.relative_to(KIT).as_posix())
def test_no_kit_module_imports_a_service_package(path: Path):
    services = set(service_packages())
    imported = {name.split(".")[0] for name in imported_modules(ast.parse(path.read_text(encoding="utf-8")))}
    assert not imported & services, f"{path.relative_to(REPO)} imports {sorted(imported & services)}"


@pytest.mark.parametrize("path", kit_files(), ids=lambda p: p.relative_to(KIT).as_posix())
def test_no_kit_file_names_a_service_action(path: Path):
    text = path.read_text(encoding="utf-8")
    named = sorted(a for a in service_actions() if re.search(rf"(?<![\w.]){re.escape(a)}(?![\w])", text))
    assert not named, f"{path.relative_to(REPO)} names service actions {named}: they belong in the service's permissions.py"
