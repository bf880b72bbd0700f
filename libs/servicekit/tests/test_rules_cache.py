"""The cached rule read hot paths make: the store's answer for any time, from memory, fresh after a save."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from servicekit.auth import Principal
from servicekit.rules import CachedRuleStore, MemoryRuleStore, RuleTableMissing

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)
ADMIN = Principal(subject="u-1", tenant="370102", roles=frozenset({"centre_director"}))


class CountingStore(MemoryRuleStore):
    def __init__(self) -> None:
        super().__init__({"routing": lambda tenant, version: []})
        self.reads = 0

    async def versions(self, tenant, table, since=None):
        self.reads += 1
        return await super().versions(tenant, table, since)

    async def active_version(self, tenant, table, at):
        self.reads += 1
        return await super().active_version(tenant, table, at)


def rows(n: int) -> list[dict]:
    return [{"id": f"r{n}"}]


@pytest.fixture
async def setup():
    store, ticks = CountingStore(), [0.0]
    await store.ensure_defaults("370102", {"routing": rows(1)})
    cached = CachedRuleStore(store, ttl=5.0, clock=lambda: ticks[0], now=lambda: NOW)
    return store, cached, ticks


async def test_a_version_scheduled_ahead_applies_from_its_start_without_another_read(setup):
    store, cached, _ = setup
    midnight = NOW + timedelta(hours=14)
    await cached.save("370102", "routing", rows(2), effective_from=midnight, by=ADMIN)
    assert await cached.active("370102", "routing", NOW) == rows(1)
    assert await cached.active("370102", "routing", midnight - timedelta(milliseconds=1)) == rows(1)
    assert await cached.active("370102", "routing", midnight) == rows(2)
    assert store.reads == 1


async def test_a_read_further_back_than_the_cache_asks_the_store(setup):
    store, cached, _ = setup
    await cached.save("370102", "routing", rows(2), effective_from=NOW - timedelta(hours=12), by=ADMIN)
    assert await cached.active("370102", "routing", NOW) == rows(2)
    assert await cached.active("370102", "routing", NOW - timedelta(hours=23)) == rows(1)  # within the day it keeps
    assert store.reads == 1
    assert await cached.active("370102", "routing", NOW - timedelta(days=2)) == rows(1)
    with pytest.raises(RuleTableMissing):
        await cached.active("370102", "routing", datetime(1999, 1, 1, tzinfo=UTC))
    assert store.reads == 3


async def test_a_save_here_shows_at_once_and_one_elsewhere_after_the_ttl(setup):
    store, cached, ticks = setup
    assert await cached.active("370102", "routing", NOW) == rows(1)
    await cached.save("370102", "routing", rows(2), effective_from=NOW - timedelta(minutes=1), by=ADMIN)
    assert await cached.active("370102", "routing", NOW) == rows(2)
    await store.save("370102", "routing", rows(3), effective_from=NOW, by=ADMIN)  # another instance
    assert await cached.active("370102", "routing", NOW) == rows(2)
    ticks[0] = 6.0
    assert await cached.active("370102", "routing", NOW) == rows(2)  # served while one re-read runs
    for _ in range(3):
        await asyncio.sleep(0)
    assert await cached.active("370102", "routing", NOW) == rows(3)


async def test_a_tenant_without_the_table_is_missing_through_the_cache_too(setup):
    _, cached, _ = setup
    with pytest.raises(RuleTableMissing):
        await cached.active_version("370124", "routing", NOW)


async def test_a_fake_given_defaults_holds_them_for_every_tenant_as_start_up_would_have():
    store = MemoryRuleStore({"routing": lambda tenant, version: []}, defaults={"routing": rows(1)})
    assert await store.active("370124", "routing", NOW) == rows(1)
    assert await store.ensure_defaults("370124", {"routing": rows(9)}) == []  # already there, as after start-up
    saved = await store.save("370124", "routing", rows(2), effective_from=NOW, by=ADMIN)
    assert saved["version"] == 2 and await store.active("370102", "routing", NOW) == rows(1)
