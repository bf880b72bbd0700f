"""Each service's own permission table: consistent with the other services', with the code that uses
it, and with docs/PERMISSIONS.md (which shows their union)."""

from __future__ import annotations

import ast
import re

import pytest

from servicekit.access import Reach, Role
from tests.platform_tables import REPO, service_packages, service_tables

pytestmark = pytest.mark.unit

DOC = REPO / "docs" / "PERMISSIONS.md"
ROLE_COLUMNS = 8


def doc_rows() -> dict[str, tuple[set[str], set[str], str]]:
    """action → (services, roles, reach) from the Roles × actions table."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| action | services |"))
    header = [cell.strip() for cell in lines[start].strip("|").split("|")]
    roles = header[2:2 + ROLE_COLUMNS]
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        action = cells[0].split()[0]
        assert action not in rows, f"{action} has two rows"
        services = {s.strip() for s in cells[1].split(",")}
        granted = {role for role, cell in zip(roles, cells[2:2 + ROLE_COLUMNS], strict=True) if cell == "✔"}
        rows[action] = (services, granted, cells[-1].strip("*"))
    return rows


def union() -> dict[str, tuple[set[str], set[str], str]]:
    out: dict[str, tuple[set[str], set[str], str]] = {}
    for table in service_tables().values():
        for action, roles in table.actions.items():
            services, _, _ = out.setdefault(action, (set(), {str(r) for r in roles}, str(table.reach_of(action))))
            services.add(table.service)
    return out


def test_every_service_declares_its_own_table():
    tables = service_tables()
    assert set(tables) == {"intake", "dispatch", "outage_notice", "survey", "analytics"}
    for package, table in tables.items():
        assert table.service == package.replace("_", "-") and table.actions, package


def test_an_action_several_services_declare_means_the_same_in_each():
    seen: dict[str, tuple[str, frozenset[Role], Reach]] = {}
    for table in service_tables().values():
        for action, roles in table.actions.items():
            first = seen.setdefault(action, (table.service, roles, table.reach_of(action)))
            assert (roles, table.reach_of(action)) == first[1:], f"{action}: {table.service} differs from {first[0]}"


def test_the_permissions_doc_shows_the_union_of_the_services_tables():
    doc, code = doc_rows(), union()
    differ = {action: (doc.get(action), code.get(action)) for action in doc.keys() | code.keys() if doc.get(action) != code.get(action)}
    assert not differ, f"action: (docs/PERMISSIONS.md row, the services' tables) {differ}"


def test_the_permissions_doc_lists_every_role():
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Roles (岗位)", 1)[1].split("\n## ", 1)[0]
    assert set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M)) == {str(r) for r in Role}
    header = next(line for line in text.splitlines() if line.startswith("| action | services |"))
    assert [c.strip() for c in header.strip("|").split("|")][2:2 + ROLE_COLUMNS] == [str(r) for r in Role]


def _authorised_literals(tree: ast.AST) -> set[str]:
    """String actions handed to authorize(...) / readable_tenants(...) (and audit_router's action=...)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            position = {"authorize": 1, "readable_tenants": 2, "audit_router": len(node.args)}.get(name)
            if position is None:
                continue
            args = [*node.args[position:position + 1], *(k.value for k in node.keywords if k.arg == "action")]
            found |= {a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return found


@pytest.mark.parametrize("package", sorted(service_packages()))
def test_a_service_authorises_only_actions_its_own_table_declares(package: str):
    """A typo or another service's action fails here, before the service runs a request."""
    table = service_tables()[package]
    every_action = set(union())
    used: set[str] = set()
    for path in service_packages()[package].rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        used |= _authorised_literals(tree)
        # strings like ("crew.report", Body) in an action map: any known action name counts as used
        used |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value in every_action}
    assert used, package
    assert used <= set(table.actions), f"{package} uses undeclared actions {sorted(used - set(table.actions))}"
