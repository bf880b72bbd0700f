"""暂存的班组事件: crew reports waiting for their predecessor, in MongoDB (the service) or in memory (unit tests)."""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from dispatch.domain.crew_sequence import HeldReport
from servicekit.mongo import TenantDatabases

HELD = "held_crew_reports"
_FIELDS = tuple(f.name for f in dataclasses.fields(HeldReport))


def _report(doc: dict[str, Any]) -> HeldReport:
    return HeldReport(**{name: doc[name] for name in _FIELDS})


class MongoHeldReports:
    """One document per held report, `_id` the event id (a redelivery holds it once)."""

    def __init__(self, dbs: TenantDatabases) -> None:
        self.dbs = dbs

    def _col(self, tenant: str) -> Any:
        return self.dbs.for_tenant(tenant)[HELD]

    async def ensure_indexes(self, tenant: str) -> None:
        # One database per tenant: no leading tenant. Looked up per order (release) and by deadline (sweep).
        await self._col(tenant).create_index([("ticket_id", ASCENDING)])
        await self._col(tenant).create_index([("deadline", ASCENDING)])

    async def hold(self, report: HeldReport) -> None:
        with contextlib.suppress(DuplicateKeyError):  # already held: this is a redelivery
            await self._col(report.tenant).insert_one({"_id": report.event_id, **dataclasses.asdict(report)})

    async def for_order(self, tenant: str, ticket_id: str) -> list[HeldReport]:
        return [_report(d) async for d in self._col(tenant).find({"tenant": tenant, "ticket_id": ticket_id})]

    async def expired(self, tenant: str, now: datetime) -> list[HeldReport]:
        return [_report(d) async for d in self._col(tenant).find({"tenant": tenant, "deadline": {"$lte": now}})]

    async def release(self, tenant: str, event_id: str) -> None:
        await self._col(tenant).delete_one({"_id": event_id, "tenant": tenant})


class MemoryHeldReports:
    def __init__(self) -> None:
        self.reports: dict[tuple[str, str], HeldReport] = {}

    async def hold(self, report: HeldReport) -> None:
        self.reports.setdefault((report.tenant, report.event_id), report)

    async def for_order(self, tenant: str, ticket_id: str) -> list[HeldReport]:
        return [r for (t, _), r in self.reports.items() if t == tenant and r.ticket_id == ticket_id]

    async def expired(self, tenant: str, now: datetime) -> list[HeldReport]:
        return [r for (t, _), r in self.reports.items() if t == tenant and r.deadline <= now]

    async def release(self, tenant: str, event_id: str) -> None:
        self.reports.pop((tenant, event_id), None)
