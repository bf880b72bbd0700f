"""Fakes wired into the use cases: the shipped rule tables, a fake clock and a small grid of customers."""

from __future__ import annotations

import pytest

from outage_fixtures import CUSTOMERS, DEFAULTS, NOW, TENANT
from outage_notice.adapters.memory import (
    FakeClock,
    MemoryDirectory,
    MemoryNoticeQueue,
    MemoryOutages,
    MemoryRules,
    RecordingGateway,
)
from outage_notice.domain.lookup import Place
from outage_notice.index import OutageIndex
from outage_notice.service import Deps


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
async def deps(clock: FakeClock) -> Deps:
    rules = MemoryRules()
    for name, table in DEFAULTS.items():
        await rules.ensure_default(TENANT, name, table)
    directory = MemoryDirectory(
        customers={TENANT: [dict(c) for c in CUSTOMERS]},
        areas={TENANT: {c["ta_code"]: Place(c["station_code"], c["feeder_code"], c["ta_code"]) for c in CUSTOMERS}},
    )
    published: list = []

    async def publish(envelope) -> None:
        published.append(envelope)

    outages = MemoryOutages()
    built = Deps(
        outages=outages, directory=directory, notices=MemoryNoticeQueue(), rules=rules,
        gateway=RecordingGateway(), publish=publish, clock=clock, index=OutageIndex(outages),
    )
    built.published = published  # type: ignore[attr-defined]
    return built
