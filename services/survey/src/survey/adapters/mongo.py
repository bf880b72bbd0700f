"""MongoDB adapters: `return_visits` and `rules_return_visit` in each tenant's own database."""

from __future__ import annotations

import dataclasses
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from hotline_contracts import Envelope
from servicekit.mongo import TenantDatabases
from servicekit.outbox import OutboxRelay, with_events
from survey.domain.model import RESULTS, ReturnVisit
from survey.ports import AlreadyCompleted, VisitExists, VisitUnitOfWork

VISITS = "return_visits"


RESULT_FIELDS = ("state", "result", "comment", "attempts", "by", "completed_at", "reopen_requested", "method")
_VISIT_FIELDS = {f.name for f in dataclasses.fields(ReturnVisit)}


def _visit(doc: dict[str, Any]) -> ReturnVisit:
    return ReturnVisit(**{k: v for k, v in doc.items() if k in _VISIT_FIELDS})


class MongoVisits:
    """回访任务: one document per visit; it carries its own events (`outbox`, an appends collection)."""

    def __init__(self, dbs: TenantDatabases) -> None:
        self.dbs = dbs

    def _c(self, tenant: str):
        return self.dbs.for_tenant(tenant)[VISITS]

    async def ensure_indexes(self, tenant: str) -> None:
        c = self._c(tenant)
        await c.create_index([("tenant", ASCENDING), ("visit_id", ASCENDING)], unique=True)
        await c.create_index([("tenant", ASCENDING), ("state", ASCENDING), ("due_at", ASCENDING)])
        await c.create_index([("tenant", ASCENDING), ("ticket_id", ASCENDING)])
        await c.create_index([("tenant", ASCENDING), ("source_event_id", ASCENDING)])
        await c.create_index([("tenant", ASCENDING), ("result", ASCENDING)])

    async def get(self, tenant: str, visit_id: str) -> ReturnVisit | None:
        doc = await self._c(tenant).find_one({"tenant": tenant, "visit_id": visit_id}, {"outbox": 0})
        return _visit(doc) if doc else None

    async def by_source_event(self, tenant: str, event_id: str) -> ReturnVisit | None:
        doc = await self._c(tenant).find_one({"tenant": tenant, "source_event_id": event_id}, {"outbox": 0})
        return _visit(doc) if doc else None

    async def count_for_ticket(self, tenant: str, ticket_id: str) -> int:
        return await self._c(tenant).count_documents({"tenant": tenant, "ticket_id": ticket_id})

    async def list(self, tenant: str, *, state: str | None, limit: int) -> list[ReturnVisit]:
        query: dict[str, Any] = {"tenant": tenant}
        if state:
            query["state"] = state
        cursor = self._c(tenant).find(query, {"outbox": 0}).sort("due_at", ASCENDING).limit(limit)
        return [_visit(d) async for d in cursor]

    async def result_counts(self, tenant: str) -> dict[str, int]:
        c = self._c(tenant)
        return {r: await c.count_documents({"tenant": tenant, "result": r}) for r in RESULTS}


class _TenantVisits:
    def __init__(self, visits: MongoVisits, tenant: str) -> None:
        self.store, self.tenant = visits, tenant

    async def get(self, visit_id: str) -> ReturnVisit | None:
        return await self.store.get(self.tenant, visit_id)

    async def by_source_event(self, event_id: str) -> ReturnVisit | None:
        return await self.store.by_source_event(self.tenant, event_id)

    async def count_for_ticket(self, ticket_id: str) -> int:
        return await self.store.count_for_ticket(self.tenant, ticket_id)


class MongoUnitOfWork(VisitUnitOfWork):
    """A new visit is inserted with its events stamped in; a result is one update that also appends its events.

    The outbox relay publishes them once the write is acknowledged (`commit`), and nothing if it failed
    (`discard`); after a crash, the next process republishes what was stored and not published.
    """

    def __init__(self, tenant: str, visits: MongoVisits, outbox: OutboxRelay) -> None:
        super().__init__(tenant)
        self.outbox = outbox
        self.visits = _TenantVisits(visits, tenant)
        self._col = visits.dbs.for_tenant(tenant)[VISITS]

    async def _insert(self, visit: ReturnVisit, events: list[Envelope[Any]]) -> None:
        doc = dataclasses.asdict(visit)
        staged = self.outbox.stamp(self.tenant, VISITS, doc, events)
        try:
            await self._col.insert_one(doc)
        except DuplicateKeyError:
            self.outbox.discard(staged)
            raise VisitExists(visit.visit_id) from None
        except BaseException:
            self.outbox.discard(staged)
            raise
        self.outbox.commit(staged)

    async def _complete(self, visit: ReturnVisit, events: list[Envelope[Any]]) -> None:
        staged, operators = self.outbox.stamp_update(self.tenant, VISITS, events)
        update = with_events({"$set": {k: getattr(visit, k) for k in RESULT_FIELDS}}, operators)
        try:
            # The state in the filter makes a second, concurrent result lose instead of overwrite.
            done = await self._col.update_one(
                {"tenant": self.tenant, "visit_id": visit.visit_id, "state": "scheduled"}, update
            )
        except BaseException:
            self.outbox.discard(staged)
            raise
        if done.modified_count != 1:
            self.outbox.discard(staged)
            raise AlreadyCompleted(visit.visit_id)
        self.outbox.commit(staged)
