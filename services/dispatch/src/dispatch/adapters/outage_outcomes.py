"""停电结果 (collection `outage_outcomes`): how known outages ended, for the orders waiting on them.

One document per outage (`_id` = its id): the first outcome heard is kept (a redelivery or a late
cancellation after a restoration changes nothing). New linked tickets read the tenant's recent outcomes
from a cache (one read per few seconds, not one per ticket); an outcome recorded here shows at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dispatch.domain.outage_wait import OutageEnd, OutageOutcome
from servicekit.mongo import TenantDatabases
from servicekit.refreshing import RefreshingCache

OUTCOMES = "outage_outcomes"
CACHE_SECONDS = 5.0
RECENT = timedelta(days=7)  # intake links calls to active outages only; older outcomes settle nothing new


def _outcome(doc: dict[str, Any]) -> OutageOutcome:
    return OutageOutcome(doc["outage_id"], OutageEnd(doc["end"]), doc["at"], doc.get("event_id"))


class MongoOutageOutcomes:
    def __init__(self, dbs: TenantDatabases, clock: Any) -> None:
        self.dbs, self.clock = dbs, clock
        self._cache: RefreshingCache[str, dict[str, OutageOutcome]] = RefreshingCache(CACHE_SECONDS)

    def _col(self, tenant: str):
        return self.dbs.for_tenant(tenant)[OUTCOMES]

    async def known(self, tenant: str) -> dict[str, OutageOutcome]:
        async def read() -> dict[str, OutageOutcome]:
            since: datetime = self.clock() - RECENT
            cursor = self._col(tenant).find({"tenant": tenant, "at": {"$gte": since}})
            return {doc["outage_id"]: _outcome(doc) async for doc in cursor}

        return await self._cache.get(tenant, read)

    async def record(self, tenant: str, outcome: OutageOutcome) -> OutageOutcome:
        doc = {"tenant": tenant, "outage_id": outcome.outage_id, "end": outcome.end.value, "at": outcome.at,
               "event_id": outcome.event_id}
        await self._col(tenant).update_one({"_id": outcome.outage_id}, {"$setOnInsert": doc}, upsert=True)
        stored = await self._col(tenant).find_one({"_id": outcome.outage_id})
        self._cache.invalidate(tenant)
        return _outcome(stored) if stored else outcome


class MemoryOutageOutcomes:
    def __init__(self) -> None:
        self.outcomes: dict[tuple[str, str], OutageOutcome] = {}

    async def known(self, tenant: str) -> dict[str, OutageOutcome]:
        return {oid: o for (t, oid), o in self.outcomes.items() if t == tenant}

    async def record(self, tenant: str, outcome: OutageOutcome) -> OutageOutcome:
        return self.outcomes.setdefault((tenant, outcome.outage_id), outcome)
