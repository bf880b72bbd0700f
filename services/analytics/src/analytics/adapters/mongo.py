"""Aggregates in each tenant's own database: `daily_aggregates` and `ticket_facts`."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from analytics.domain.aggregates import Increment
from servicekit.mongo import TenantDatabases
from servicekit.tenancy import OrgTree

DAILY = "daily_aggregates"
FACTS = "ticket_facts"


class MongoAggregates:
    """Counters are `$inc`-ed with a precise filter (update_one, never find_one_and_update: docs/EMBEDDED-STACK.md)."""

    def __init__(self, dbs: TenantDatabases) -> None:
        self.dbs = dbs

    async def ensure_indexes(self, tenant: str) -> None:
        db = self.dbs.for_tenant(tenant)
        await db[DAILY].create_index([("tenant", 1), ("day", 1), ("business_type", 1)], unique=True)
        await db[FACTS].create_index([("tenant", 1), ("ticket_id", 1)], unique=True)
        await db[FACTS].create_index([("tenant", 1), ("day", 1)])

    async def add(self, tenant: str, inc: Increment) -> None:
        counts = {name: n for name, n in inc.counts.items() if n}
        if inc.channel:
            counts[f"channels.{inc.channel}"] = 1
        update: dict[str, Any] = {"$setOnInsert": {"tenant": tenant, "day": inc.day, "business_type": inc.business_type}}
        if counts:
            update["$inc"] = counts
        key = {"tenant": tenant, "day": inc.day, "business_type": inc.business_type}
        await self.dbs.for_tenant(tenant)[DAILY].update_one(key, update, upsert=True)

    async def upsert_fact(self, tenant: str, fact: dict[str, Any]) -> None:
        fields = {k: v for k, v in fact.items() if k != "ticket_id"}
        await self.dbs.for_tenant(tenant)[FACTS].update_one(
            {"tenant": tenant, "ticket_id": fact["ticket_id"]}, {"$set": {"tenant": tenant, **fields}}, upsert=True
        )

    async def business_type_of(self, tenant: str, ticket_id: str) -> str | None:
        doc = await self.dbs.for_tenant(tenant)[FACTS].find_one({"tenant": tenant, "ticket_id": ticket_id}, {"business_type": 1})
        return doc.get("business_type") if doc else None

    async def rows(self, tenant: str, start: str, end: str) -> list[dict[str, Any]]:
        cursor = self.dbs.for_tenant(tenant)[DAILY].find({"tenant": tenant, "day": _days(start, end)}, {"_id": 0})
        return [doc async for doc in cursor]

    async def facts(self, tenant: str, start: str, end: str, limit: int) -> list[dict[str, Any]]:
        filt = {"tenant": tenant, "day": _days(start, end), "accepted_at": {"$exists": True}}
        cursor = self.dbs.for_tenant(tenant)[FACTS].find(filt, {"_id": 0}).sort("accepted_at", 1).limit(limit)
        return [doc async for doc in cursor]


TREE_TTL_SECONDS = 300.0  # the tree changes when companies are added: re-read it now and then
IMPLIED_TREE_TTL_SECONDS = 10.0  # no stored tree yet (seeding still running): look again soon


class StoredTree:
    """The platform's org tree (`{prefix}_platform.org_units`): read at start-up, re-read when stale."""

    def __init__(self, load: Callable[[], Awaitable[OrgTree]], implied: OrgTree) -> None:
        self.load = load
        self.tree = implied  # what the hosted codes imply, until the stored tree is read
        self._loaded_at = -1e9

    async def load_now(self) -> None:
        """At start-up: a broken tree raises (the service stays unready) instead of being ignored."""
        self.tree = await self.load()
        self._loaded_at = time.monotonic()

    async def current(self) -> OrgTree:
        """Reload the stored tree when stale; on failure keep the tree already held."""
        ttl = TREE_TTL_SECONDS if self.tree.stored else IMPLIED_TREE_TTL_SECONDS
        if time.monotonic() - self._loaded_at >= ttl:
            try:
                await self.load_now()
            except Exception:  # noqa: BLE001 - a report still answers from the tree it has
                self._loaded_at = time.monotonic() - ttl + min(ttl, 5.0)
        return self.tree


def _days(start: str, end: str) -> dict[str, str]:
    # Half-open on purpose: SecantusDB's index scan misses documents equal to a `$lte` bound.
    after = (date.fromisoformat(end) + timedelta(days=1)).isoformat()
    return {"$gte": start, "$lt": after}
