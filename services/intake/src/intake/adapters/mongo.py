"""Mongo adapters for work orders, order numbers and rule tables (one database per tenant)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import BulkWriteError

from hotline_contracts import Envelope
from intake.domain.model import Ticket
from intake.domain.numbers import order_day, ticket_number
from intake.ports import DuplicateIdempotencyKey, DuplicateOpenOrder
from servicekit.batching import Coalescer
from servicekit.mongo import TenantDatabases, drop_superseded_indexes
from servicekit.outbox import OutboxRelay, Staged

TICKETS = "tickets"
COUNTERS = "order_counters"
RECOVERY_CHUNK = 1000  # order numbers per `_id $in` look-up when a dead relay's orders are republished
_TICKET_FIELDS = {f.name for f in fields(Ticket)}


def ticket_doc(ticket: Ticket) -> dict[str, Any]:
    # The order number is the primary key: unique per tenant (one database per tenant), and one
    # index fewer to maintain on every insert than a separate unique (tenant, ticket_id) index.
    # Built field by field: dataclasses.asdict deep-copies every value, a measurable share of an order's CPU.
    doc = {"_id": ticket.ticket_id, **{name: getattr(ticket, name) for name in _TICKET_FIELDS}, "extra": dict(ticket.extra)}
    key = ticket.repeat_key()
    if key:
        doc["open_key"] = key  # sparse unique index: one open order per customer and type
    if not ticket.idempotency_key:
        doc.pop("idempotency_key")
    return doc


def ticket_of(doc: dict[str, Any]) -> Ticket:
    return Ticket(**{k: v for k, v in doc.items() if k in _TICKET_FIELDS})


def _duplicate(error: dict[str, Any]) -> Exception:
    """The refusal of one document in a bulk insert, as the port names it."""
    pattern = error.get("keyPattern") or {}
    if "idempotency_key" in pattern:
        return DuplicateIdempotencyKey()
    if "open_key" in pattern:
        return DuplicateOpenOrder()
    return RuntimeError(f"order not stored: {error.get('errmsg', error)}")


class MongoTickets:
    """工单库: the order document also carries its pending events (outbox).

    Orders accepted at the same moment are inserted together (`insert_many`, unordered), so each
    keeps its own duplicate-key answer while the database does one write per batch.
    """

    def __init__(self, dbs: TenantDatabases, outbox: OutboxRelay, *, max_batch: int = 32) -> None:
        self.dbs = dbs
        self.outbox = outbox
        self.max_batch = max_batch
        self._inserters: dict[str, Coalescer[tuple[dict[str, Any], Staged], None]] = {}
        outbox.register(TICKETS, lambda tenant, since: numbers_issued_since(dbs, tenant, since))

    def _col(self, tenant: str) -> Any:
        return self.dbs.for_tenant(tenant)[TICKETS]

    async def ensure_indexes(self, tenant: str) -> None:
        col = self._col(tenant)
        # Sparse, single-field unique keys: only orders that carry the field are indexed (open orders;
        # requests that sent an Idempotency-Key). Not partial indexes: SecantusDB never plans a query on
        # one, so the repeat-call and replay look-ups scanned every order. No leading `tenant`: the
        # database is the tenant's own, and each insert pays for every key field.
        await col.create_index([("open_key", 1)], unique=True, sparse=True)
        await col.create_index([("idempotency_key", 1)], unique=True, sparse=True)
        await drop_superseded_indexes(col, ["tenant_1_open_key_1", "tenant_1_idempotency_key_1"])

    async def insert(self, tenant: str, ticket: Ticket, events: Sequence[Envelope[Any]]) -> None:
        doc = ticket_doc(ticket)
        staged = self.outbox.stamp(tenant, TICKETS, doc, events)
        inserter = self._inserters.get(tenant)
        if inserter is None:
            # One insert at a time: SecantusDB runs a command at a time anyway, and orders arriving
            # meanwhile go into the next, larger batch (each command has a fixed cost).
            inserter = self._inserters[tenant] = Coalescer(
                lambda items: self._insert_batch(tenant, items), max_batch=self.max_batch, max_in_flight=1
            )
        await inserter.submit((doc, staged))

    async def _insert_batch(self, tenant: str, items: list[tuple[dict[str, Any], Staged]]) -> list[Exception | None]:
        """Publish what was stored, forget what was refused; runs to the end even if a caller has gone."""
        refused: dict[int, dict[str, Any]] = {}
        try:
            await self._col(tenant).insert_many([doc for doc, _ in items], ordered=False)
        except BulkWriteError as exc:
            refused = {error["index"]: error for error in exc.details.get("writeErrors", [])}
        except BaseException:
            for _, staged in items:
                self.outbox.discard(staged)
            raise
        results: list[Exception | None] = []
        for index, (_, staged) in enumerate(items):
            if index in refused:
                self.outbox.discard(staged)
                results.append(_duplicate(refused[index]))
            else:
                self.outbox.commit(staged)
                results.append(None)
        return results

    async def get(self, tenant: str, ticket_id: str) -> Ticket | None:
        doc = await self._col(tenant).find_one({"_id": ticket_id, "tenant": tenant})
        return ticket_of(doc) if doc else None

    async def find_open(self, tenant: str, account_no: str, business_type: str) -> Ticket | None:
        doc = await self._col(tenant).find_one({"tenant": tenant, "open_key": f"{account_no}|{business_type}"})
        return ticket_of(doc) if doc else None

    async def by_idempotency_key(self, tenant: str, key: str) -> Ticket | None:
        doc = await self._col(tenant).find_one({"tenant": tenant, "idempotency_key": key})
        return ticket_of(doc) if doc else None

    async def attach_contact(self, tenant: str, ticket_id: str, contact: dict[str, Any], events: Sequence[Envelope[Any]]) -> int:
        update, staged = self.outbox.stamp_append(tenant, TICKETS, events)
        update["$push"]["contacts"] = contact
        update["$inc"] = {"contact_count": 1}
        try:
            await self._col(tenant).update_one({"_id": ticket_id, "tenant": tenant}, update)
        except BaseException:
            self.outbox.discard(staged)
            raise
        self.outbox.commit(staged)
        doc = await self._col(tenant).find_one({"_id": ticket_id, "tenant": tenant}, {"contact_count": 1})
        return int(doc["contact_count"]) if doc else 0

    async def release_open_key(self, tenant: str, ticket_id: str) -> None:
        await self._col(tenant).update_one({"_id": ticket_id, "tenant": tenant}, {"$unset": {"open_key": ""}})

    async def close(self, tenant: str, ticket_id: str) -> None:
        """Closed elsewhere (dispatch): the order stops absorbing repeat contacts."""
        await self._col(tenant).update_one({"_id": ticket_id, "tenant": tenant}, {"$set": {"state": "closed"}, "$unset": {"open_key": ""}})

    async def list(self, tenant: str, *, state: str | None, business_type: str | None, limit: int) -> list[Ticket]:
        query: dict[str, Any] = {"tenant": tenant}
        if state:
            query["state"] = state
        if business_type:
            query["business_type"] = business_type
        cursor = self._col(tenant).find(query, {"outbox": 0, "contacts": 0}).sort("_id", -1).limit(limit)
        return [ticket_of(d) async for d in cursor]


class BlockNumbers:
    """Order numbers allocated in blocks per process: one counter write per block, not per order."""

    def __init__(self, dbs: TenantDatabases, block: int) -> None:
        self.dbs = dbs
        self.block = block
        self._ranges: dict[tuple[str, str], tuple[int, int]] = {}
        self._lock = asyncio.Lock()

    async def next(self, tenant: str, day: str) -> int:
        async with self._lock:
            nxt, end = self._ranges.get((tenant, day), (1, 0))
            if nxt > end:
                end = await self._reserve(tenant, day)
                nxt = end - self.block + 1
            self._ranges[(tenant, day)] = (nxt + 1, end)
            return nxt

    async def _reserve(self, tenant: str, day: str) -> int:
        col = self.dbs.for_tenant(tenant)[COUNTERS]
        key = f"{tenant}:{day}"
        # update_one then read: find_one_and_update scans the whole collection on SecantusDB.
        await col.update_one({"_id": key}, {"$inc": {"last": self.block}, "$set": {"tenant": tenant}}, upsert=True)
        doc = await col.find_one({"_id": key})
        return int(doc["last"])


async def numbers_issued_since(dbs: TenantDatabases, tenant: str, since: datetime) -> AsyncIterator[dict[str, Any]]:
    """Outbox recovery candidates: every order number handed out on the days since `since`, by `_id`.

    The orders need no `(outbox_owner, outbox_at)` index for a relay that died: the day counters say
    which numbers exist, and `_id $in` finds them. An hour's margin: a number is taken when the
    contact arrives, a moment before its order is stamped.
    """
    first_day = order_day(since - timedelta(hours=1))
    async for counter in dbs.for_tenant(tenant)[COUNTERS].find({"tenant": tenant}):
        day = str(counter["_id"]).rsplit(":", 1)[-1]
        if day < first_day:
            continue
        last = int(counter["last"])
        for start in range(1, last + 1, RECOVERY_CHUNK):
            yield {"_id": {"$in": [ticket_number(tenant, day, n) for n in range(start, min(start + RECOVERY_CHUNK, last + 1))]}}


class MongoRules:
    """Effective-dated rule tables `rules_<name>`: the row set in force at a time, highest version first."""

    def __init__(self, dbs: TenantDatabases) -> None:
        self.dbs = dbs

    async def rows(self, tenant: str, name: str, at: datetime) -> list[dict[str, Any]]:
        table = await self.current(tenant, name, at)
        return table["rows"] if table else []

    async def current(self, tenant: str, name: str, at: datetime) -> dict[str, Any] | None:
        query = {"tenant": tenant, "effective_from": {"$lte": at}, "$or": [{"effective_to": None}, {"effective_to": {"$gt": at}}]}
        cursor = self.dbs.for_tenant(tenant)[f"rules_{name}"].find(query, {"_id": 0}).sort("version", -1).limit(1)
        found = [d async for d in cursor]
        return found[0] if found else None

    async def save(self, tenant: str, name: str, table: dict[str, Any]) -> None:
        col = self.dbs.for_tenant(tenant)[f"rules_{name}"]
        await col.create_index([("tenant", 1), ("version", 1)], unique=True)
        await col.insert_one({**table, "tenant": tenant})

    async def latest_version(self, tenant: str, name: str) -> int:
        cursor = self.dbs.for_tenant(tenant)[f"rules_{name}"].find({"tenant": tenant}, {"version": 1}).sort("version", -1).limit(1)
        found = [d async for d in cursor]
        return int(found[0]["version"]) if found else 0
