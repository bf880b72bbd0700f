"""The services' permission tables, found where CONTRIBUTING.md says they live, for repo-wide tests."""

from __future__ import annotations

import importlib
from pathlib import Path

from servicekit.access import Permissions

REPO = Path(__file__).resolve().parents[1]


def service_packages() -> dict[str, Path]:
    """Import name → source folder of every service package (services/<name>/src/<package>/)."""
    return {p.parent.name: p.parent for p in sorted(REPO.glob("services/*/src/*/__init__.py"))}


def service_tables() -> dict[str, Permissions]:
    """Import name → the `PERMISSIONS` table in that service's `permissions.py`."""
    tables = {}
    for package in service_packages():
        table = importlib.import_module(f"{package}.permissions").PERMISSIONS
        assert isinstance(table, Permissions), package
        tables[package] = table
    return tables


def service_actions() -> set[str]:
    return {action for table in service_tables().values() for action in table.actions}
