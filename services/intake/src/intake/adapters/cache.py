"""In-process caches in front of the database: active outages, rule tables, outage call counts."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from datetime import datetime
from typing import Any

from intake.domain.model import ActiveOutage
from intake.ports import OutageProjection, RuleStore


class OutageCache:
    """Active outages per tenant, re-read at most every `ttl` seconds (a call storm never hits the DB per call)."""

    def __init__(self, projection: OutageProjection, ttl: float) -> None:
        self.projection = projection
        self.ttl = ttl
        self._entries: dict[str, tuple[float, list[ActiveOutage]]] = {}
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def active(self, tenant: str) -> list[ActiveOutage]:
        entry = self._entries.get(tenant)
        if entry and time.monotonic() - entry[0] < self.ttl:
            return entry[1]
        async with self._locks[tenant]:  # one reader refreshes, the others wait for it
            entry = self._entries.get(tenant)
            if entry and time.monotonic() - entry[0] < self.ttl:
                return entry[1]
            outages = await self.projection.active(tenant)
            self._entries[tenant] = (time.monotonic(), outages)
            return outages

    def invalidate(self, tenant: str) -> None:
        self._entries.pop(tenant, None)


class CachedRules:
    """Effective rule rows per tenant and table, kept `ttl` seconds (rules change rarely, calls are many).

    Wraps the platform's rule store (servicekit.rules); the rules endpoint invalidates after a save.
    """

    def __init__(self, store: RuleStore, ttl: float) -> None:
        self.store = store
        self.ttl = ttl
        self._entries: dict[tuple[str, str], tuple[float, list[dict[str, Any]]]] = {}

    async def active(self, tenant: str, name: str, at: datetime) -> list[dict[str, Any]]:
        entry = self._entries.get((tenant, name))
        if entry and time.monotonic() - entry[0] < self.ttl:
            return entry[1]
        rows = await self.store.active(tenant, name, at)
        self._entries[(tenant, name)] = (time.monotonic(), rows)
        return rows

    def invalidate(self, tenant: str, name: str) -> None:
        self._entries.pop((tenant, name), None)


class CallCounter:
    """Outage call counts gathered in memory and added to the projection in one write per outage per flush."""

    def __init__(self, projection: OutageProjection) -> None:
        self.projection = projection
        self._pending: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def record(self, tenant: str, outage_id: str) -> None:
        self._pending[tenant][outage_id] += 1

    async def flush(self) -> None:
        pending, self._pending = self._pending, defaultdict(lambda: defaultdict(int))
        for tenant, counts in pending.items():
            try:
                await self.projection.add_calls(tenant, dict(counts))
            except Exception:
                for outage_id, n in counts.items():  # keep them for the next flush
                    self._pending[tenant][outage_id] += n
                raise

    async def run(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(Exception):  # database away: counts stay pending
                await self.flush()
