"""Intake test fixtures: the fake bootstrap, demo customers and dev tokens."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from devstack.devtoken import ensure_dev_issuer, issue_token
from intake.bootstrap import fake_bootstrap
from intake.deps import Deps
from intake_fixtures import CUT_OFF, IN_OUTAGE, NORMAL, ON_FEEDER, OUTAGE, Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def deps(clock: Clock) -> Deps:
    """The use cases' dependencies as unit tests get them: `fake_bootstrap`'s in-memory fakes."""
    return fake_bootstrap(["37", "3701", "370102", "370124"], customers=[NORMAL, CUT_OFF, IN_OUTAGE, ON_FEEDER], outages=[OUTAGE], clock=clock)


@pytest.fixture
def issuer(tmp_path: Path) -> Path:
    return ensure_dev_issuer(tmp_path)


@pytest.fixture
def token(issuer: Path) -> Callable[..., dict[str, str]]:
    def make(tenant: str = "37", roles: tuple[str, ...] = ("agent",), subject: str = "zhangsan", kind: str = "user") -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(issuer, subject=subject, tenant=tenant, roles=list(roles), kind=kind)}"}

    return make
