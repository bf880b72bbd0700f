"""Intake test fixtures: memory-backed wiring, demo customers and dev tokens."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from devstack.devtoken import ensure_dev_issuer, issue_token
from intake.adapters.cache import CachedRules, CallCounter, OutageCache
from intake.adapters.memory import MemoryCustomers, MemoryKnowledge, MemoryNumbers, MemoryOutages, MemoryRules, MemoryTickets
from intake.metrics import IntakeMetrics
from intake.service import IntakeDeps
from intake.wiring import Intake, MemoryAudit
from intake_fixtures import CUT_OFF, IN_OUTAGE, NORMAL, ON_FEEDER, OUTAGE, Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def memory_intake(clock: Clock) -> Intake:
    outages = MemoryOutages()
    outages.outages[("370102", OUTAGE.outage_id)] = OUTAGE
    customers = MemoryCustomers([NORMAL, CUT_OFF, IN_OUTAGE, ON_FEEDER])
    deps = IntakeDeps(
        tickets=MemoryTickets(), customers=customers, outages=OutageCache(outages, ttl=0), calls=CallCounter(outages),
        numbers=MemoryNumbers(), rules=CachedRules(MemoryRules(), ttl=0), metrics=IntakeMetrics(CollectorRegistry()), clock=clock,
    )
    return Intake(deps=deps, customers=customers, knowledge=MemoryKnowledge(), rules_admin=deps.rules.store, audit=MemoryAudit(),
                  hosted=["37", "3701", "370102", "370124"], extras={"outage_projection": outages})


@pytest.fixture
def issuer(tmp_path: Path) -> Path:
    return ensure_dev_issuer(tmp_path)


@pytest.fixture
def token(issuer: Path) -> Callable[..., dict[str, str]]:
    def make(tenant: str = "37", roles: tuple[str, ...] = ("agent",), subject: str = "zhangsan", kind: str = "user") -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(issuer, subject=subject, tenant=tenant, roles=list(roles), kind=kind)}"}

    return make
