"""Fixtures for the contracts tests."""

from __future__ import annotations

from typing import Any

import pytest

from contracts_testkit import EXAMPLES_DIR, load_json


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "unit: no processes, runs in-process only")


@pytest.fixture
def ticket_created_example() -> dict[str, Any]:
    """A valid ticket.created.v1 envelope, fresh for each test to mutate."""
    return load_json(EXAMPLES_DIR / "ticket.created.v1" / "example-1.json")
