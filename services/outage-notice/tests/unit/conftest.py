"""Use cases on in-memory fakes through `fake_bootstrap`: the shipped rule tables, a fake clock and a small grid."""

from __future__ import annotations

import pytest

from outage_fixtures import CUSTOMERS, DEFAULTS, NOW, TENANT
from outage_notice.adapters.memory import FakeClock, MemoryDirectory, MemoryStore
from outage_notice.bootstrap import fake_bootstrap
from outage_notice.deps import Deps
from outage_notice.domain.lookup import Place
from outage_notice.rule_tables import RULE_TABLES
from servicekit.rules import MemoryRuleStore


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def store() -> MemoryStore:
    """What the use cases committed; `store.outbox.published` are their events, in commit order."""
    return MemoryStore()


@pytest.fixture
async def deps(clock: FakeClock, store: MemoryStore) -> Deps:
    rules = MemoryRuleStore(RULE_TABLES)
    await rules.ensure_defaults(TENANT, DEFAULTS)
    directory = MemoryDirectory(
        customers={TENANT: [dict(c) for c in CUSTOMERS]},
        areas={TENANT: {c["ta_code"]: Place(c["station_code"], c["feeder_code"], c["ta_code"]) for c in CUSTOMERS}},
    )
    return fake_bootstrap(clock=clock, store=store, directory=directory, rules=rules)
