"""MongoDB adapters: `return_visits` and `rules_return_visit` in each tenant's own database."""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from servicekit.mongo import TenantDatabases
from survey.domain.model import RESULTS, ReturnVisit, RuleTable, VisitRule

VISITS = "return_visits"
RULES = "rules_return_visit"


def _visit(doc: dict[str, Any]) -> ReturnVisit:
    names = {f.name for f in dataclasses.fields(ReturnVisit)}
    return ReturnVisit(**{k: v for k, v in doc.items() if k in names})


class MongoVisits:
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

    async def add(self, tenant: str, visit: ReturnVisit) -> bool:
        try:
            await self._c(tenant).insert_one(dataclasses.asdict(visit))
        except DuplicateKeyError:
            return False
        return True

    async def get(self, tenant: str, visit_id: str) -> ReturnVisit | None:
        doc = await self._c(tenant).find_one({"tenant": tenant, "visit_id": visit_id})
        return _visit(doc) if doc else None

    async def by_source_event(self, tenant: str, event_id: str) -> ReturnVisit | None:
        doc = await self._c(tenant).find_one({"tenant": tenant, "source_event_id": event_id})
        return _visit(doc) if doc else None

    async def count_for_ticket(self, tenant: str, ticket_id: str) -> int:
        return await self._c(tenant).count_documents({"tenant": tenant, "ticket_id": ticket_id})

    async def complete(self, tenant: str, visit: ReturnVisit) -> bool:
        fields = {k: getattr(visit, k) for k in ("state", "result", "comment", "attempts", "by", "completed_at", "reopen_requested", "method")}
        # The state in the filter makes a second, concurrent result lose instead of overwrite.
        done = await self._c(tenant).update_one(
            {"tenant": tenant, "visit_id": visit.visit_id, "state": "scheduled"}, {"$set": fields}
        )
        return done.modified_count == 1

    async def list(self, tenant: str, *, state: str | None, limit: int) -> list[ReturnVisit]:
        query: dict[str, Any] = {"tenant": tenant}
        if state:
            query["state"] = state
        cursor = self._c(tenant).find(query).sort("due_at", ASCENDING).limit(limit)
        return [_visit(d) async for d in cursor]

    async def result_counts(self, tenant: str) -> dict[str, int]:
        c = self._c(tenant)
        return {r: await c.count_documents({"tenant": tenant, "result": r}) for r in RESULTS}


def _table(doc: dict[str, Any]) -> RuleTable:
    rows = tuple(VisitRule(**{k: r.get(k) for k in ("business_type", "delay_hours", "working_days")}, skip=bool(r.get("skip")))
                 for r in doc["rows"])
    return RuleTable(doc["tenant"], doc["effective_from"], doc.get("effective_to"), doc["version"], rows)


def _doc(table: RuleTable) -> dict[str, Any]:
    return {
        "tenant": table.tenant, "effective_from": table.effective_from, "effective_to": table.effective_to,
        "version": table.version, "rows": [dataclasses.asdict(r) for r in table.rows],
    }


class MongoRules:
    def __init__(self, dbs: TenantDatabases) -> None:
        self.dbs = dbs

    def _c(self, tenant: str):
        return self.dbs.for_tenant(tenant)[RULES]

    async def ensure_indexes(self, tenant: str) -> None:
        await self._c(tenant).create_index([("tenant", ASCENDING), ("version", ASCENDING)], unique=True)

    async def active(self, tenant: str, at: datetime) -> RuleTable | None:
        query = {"tenant": tenant, "effective_from": {"$lte": at}, "$or": [{"effective_to": None}, {"effective_to": {"$gt": at}}]}
        docs = [d async for d in self._c(tenant).find(query).sort("version", -1).limit(1)]
        return _table(docs[0]) if docs else None

    async def save(self, table: RuleTable) -> RuleTable:
        c = self._c(tenant := table.tenant)
        latest = [d async for d in c.find({"tenant": tenant}).sort("version", -1).limit(1)]
        version = (latest[0]["version"] if latest else 0) + 1
        await c.update_many({"tenant": tenant, "effective_to": None}, {"$set": {"effective_to": table.effective_from}})
        saved = dataclasses.replace(table, version=version)
        await c.insert_one(_doc(saved))
        return saved

    async def ensure_default(self, table: RuleTable) -> None:
        if await self._c(table.tenant).count_documents({"tenant": table.tenant}, limit=1) == 0:
            with contextlib.suppress(DuplicateKeyError):  # another replica loaded it first
                await self._c(table.tenant).insert_one(_doc(table))
