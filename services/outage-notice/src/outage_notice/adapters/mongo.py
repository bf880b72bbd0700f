"""Mongo adapters for outages, their revisions and the rule tables (one database per tenant).

An outage document also holds its latest events (`outbox`, `outbox_at`: `servicekit.outbox`, the
collection is registered with `appends=True`); every write of an outage stores its events in the
same insert or update, and no read returns them.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from hotline_contracts import Envelope
from outage_notice.domain.outage import CURRENT_STATES, Outage, OutageState, Revision, Scope
from outage_notice.uow import duplicate_outage, stale_outage
from servicekit.mongo import TenantDatabases
from servicekit.outbox import OutboxRelay, Staged, with_events

OUTAGES = "outages"
VERSIONS = "outage_versions"
_OUTAGE_FIELDS = {f.name for f in fields(Outage)}
_WITHOUT_EVENTS = {"outbox": 0}  # readers never need the stored events (up to 32 per outage)


def outage_doc(outage: Outage) -> dict[str, Any]:
    doc = asdict(outage)
    doc["scope"] = outage.scope.as_dict()
    doc["state"] = outage.state.value
    return doc


def outage_from(doc: dict[str, Any]) -> Outage:
    values = {k: v for k, v in doc.items() if k in _OUTAGE_FIELDS}
    values["scope"] = Scope.from_dict(doc["scope"])
    values["state"] = OutageState(doc["state"])
    return Outage(**values)


def revision_doc(tenant: str, outage_id: str, revision: Revision) -> dict[str, Any]:
    changed = {k: {side: (v.as_dict() if isinstance(v, Scope) else v) for side, v in pair.items()} for k, pair in revision.changed.items()}
    return dict(asdict(revision), changed=changed, tenant=tenant, outage_id=outage_id)


class MongoOutages:
    """停电信息仓库: the current document per outage (with its latest events) plus an append-only version collection."""

    def __init__(self, dbs: TenantDatabases, outbox: OutboxRelay | None = None) -> None:
        self.dbs = dbs
        self.outbox = outbox

    async def ensure_indexes(self, tenant: str) -> None:
        db = self.dbs.for_tenant(tenant)
        await db[OUTAGES].create_index([("tenant", ASCENDING), ("outage_id", ASCENDING)], unique=True)
        await db[OUTAGES].create_index([("tenant", ASCENDING), ("state", ASCENDING), ("planned_start", ASCENDING)])
        await db[OUTAGES].create_index([("tenant", ASCENDING), ("late", ASCENDING), ("reporting_unit", ASCENDING)])
        await db[VERSIONS].create_index([("tenant", ASCENDING), ("outage_id", ASCENDING), ("seq", ASCENDING)], unique=True)

    async def insert(self, tenant: str, outage: Outage, revisions: list[Revision], events: list[Envelope[Any]]) -> None:
        """A new outage and its events in one insert (409 `duplicate_outage` when the id exists), then its revisions."""
        doc = outage_doc(outage)
        staged = self._relay().stamp(tenant, OUTAGES, doc, events) if events else None
        try:
            await self.dbs.for_tenant(tenant)[OUTAGES].insert_one(doc)
        except DuplicateKeyError:
            self._settle(staged, stored=False)
            raise duplicate_outage() from None
        except BaseException:
            self._settle(staged, stored=False)
            raise
        self._settle(staged, stored=True)
        await self._add_revisions(tenant, outage.outage_id, revisions)

    async def update(
        self, tenant: str, outage: Outage, revisions: list[Revision], events: list[Envelope[Any]], *, expected_seq: int
    ) -> None:
        """Optimistic: state and events land in one update, only on the revision the caller read (409 `stale_outage`)."""
        update: dict[str, Any] = {"$set": outage_doc(outage)}
        staged = None
        if events:
            staged, operators = self._relay().stamp_update(tenant, OUTAGES, events)
            update = with_events(update, operators)
        try:
            result = await self.dbs.for_tenant(tenant)[OUTAGES].update_one(
                {"tenant": tenant, "outage_id": outage.outage_id, "seq": expected_seq}, update
            )
        except BaseException:
            self._settle(staged, stored=False)
            raise
        self._settle(staged, stored=result.matched_count == 1)
        if result.matched_count == 0:
            raise stale_outage()
        await self._add_revisions(tenant, outage.outage_id, revisions)

    async def _add_revisions(self, tenant: str, outage_id: str, revisions: list[Revision]) -> None:
        docs = [revision_doc(tenant, outage_id, r) for r in revisions]
        await self.dbs.for_tenant(tenant)[VERSIONS].insert_many(docs, ordered=True)

    def _relay(self) -> OutboxRelay:
        if self.outbox is None:
            raise RuntimeError("MongoOutages was built without the outbox relay: it cannot store events")
        return self.outbox

    def _settle(self, staged: Staged | None, *, stored: bool) -> None:
        if staged is not None:
            (self._relay().commit if stored else self._relay().discard)(staged)

    async def get(self, tenant: str, outage_id: str) -> Outage | None:
        doc = await self.dbs.for_tenant(tenant)[OUTAGES].find_one({"tenant": tenant, "outage_id": outage_id}, _WITHOUT_EVENTS)
        return outage_from(doc) if doc else None

    async def current(self, tenant: str) -> list[Outage]:
        states = [s.value for s in CURRENT_STATES]
        cursor = self.dbs.for_tenant(tenant)[OUTAGES].find({"tenant": tenant, "state": {"$in": states}}, _WITHOUT_EVENTS)
        return [outage_from(doc) async for doc in cursor]

    async def listing(self, tenant: str, *, state: str | None, limit: int) -> list[Outage]:
        filt: dict[str, Any] = {"tenant": tenant} | ({"state": state} if state else {})
        cursor = self.dbs.for_tenant(tenant)[OUTAGES].find(filt, _WITHOUT_EVENTS).sort("planned_start", DESCENDING).limit(limit)
        return [outage_from(doc) async for doc in cursor]

    async def revisions(self, tenant: str, outage_id: str) -> list[Revision]:
        cursor = self.dbs.for_tenant(tenant)[VERSIONS].find({"tenant": tenant, "outage_id": outage_id}, {"_id": 0}).sort("seq", 1)
        names = {f.name for f in fields(Revision)}
        return [Revision(**{k: v for k, v in doc.items() if k in names}) async for doc in cursor]

    async def late_counts(self, tenant: str) -> dict[str, int]:
        pipeline = [{"$match": {"tenant": tenant, "late": True}}, {"$group": {"_id": "$reporting_unit", "n": {"$sum": 1}}}]
        cursor = await self.dbs.for_tenant(tenant)[OUTAGES].aggregate(pipeline)
        return {doc["_id"]: doc["n"] async for doc in cursor}

    async def mark_renotice_done(self, tenant: str, outage_id: str) -> None:
        await self.dbs.for_tenant(tenant)[OUTAGES].update_one({"tenant": tenant, "outage_id": outage_id}, {"$set": {"renotice_done": True}})
