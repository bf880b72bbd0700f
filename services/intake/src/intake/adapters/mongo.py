"""Mongo adapters for work orders, order numbers and rule tables (one database per tenant)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from hotline_contracts import Envelope
from intake.adapters.mongo_keys import IDEMPOTENCY_KEY, OPEN_KEY, REPEAT_CONTACT, key_docs, key_id, screen_leftovers
from intake.domain.model import Ticket
from intake.domain.numbers import order_day, ticket_number
from intake.ports import DuplicateIdempotencyKey, DuplicateOpenOrder
from servicekit.batching import Coalescer
from servicekit.mongo import TenantDatabases, drop_superseded_indexes
from servicekit.outbox import OutboxRelay, Staged

log = logging.getLogger(__name__)

TICKETS = "tickets"
COUNTERS = "order_counters"
RECOVERY_CHUNK = 1000  # order numbers per `_id $in` look-up when a dead relay's orders are republished
DUPLICATE_KEY = 11000
# When dispatch last closed or reopened the order (the event's `at`): the two come on different topics,
# so the later of them wins whatever order they are read in.
LIFECYCLE_AT = "lifecycle_at"
# Unique indexes of earlier releases, replaced by key documents (their values are copied over first).
UNIQUE_FIELD_INDEXES = ["tenant_1_open_key_1", "tenant_1_idempotency_key_1", "open_key_1", "idempotency_key_1"]
_TICKET_FIELDS = {f.name for f in fields(Ticket)}


def not_after(at: datetime | None) -> dict[str, Any]:
    """Matches an order whose last closure or reopening (`LIFECYCLE_AT`) is not later than `at`."""
    if at is None:
        return {}
    return {"$or": [{LIFECYCLE_AT: {"$exists": False}}, {LIFECYCLE_AT: {"$lte": at}}]}


def ticket_doc(ticket: Ticket) -> dict[str, Any]:
    # The order number is the primary key: unique per tenant (one database per tenant).
    # Built field by field: dataclasses.asdict deep-copies every value, a measurable share of an order's CPU.
    doc = {"_id": ticket.ticket_id, **{name: getattr(ticket, name) for name in _TICKET_FIELDS}, "extra": dict(ticket.extra)}
    key = ticket.repeat_key()
    if key:
        doc["open_key"] = key  # which key document to delete when the order stops absorbing contacts
    if not ticket.idempotency_key:
        doc.pop("idempotency_key")
    return doc


def ticket_of(doc: dict[str, Any]) -> Ticket:
    return Ticket(**{k: v for k, v in doc.items() if k in _TICKET_FIELDS})


def _refusal(doc: dict[str, Any], error: dict[str, Any]) -> Exception:
    """The refusal of one document in a bulk insert, as the port names it."""
    if error.get("code") == DUPLICATE_KEY and doc.get("kind") == IDEMPOTENCY_KEY:
        return DuplicateIdempotencyKey()
    if error.get("code") == DUPLICATE_KEY and doc.get("kind") == OPEN_KEY:
        return DuplicateOpenOrder()
    return RuntimeError(f"order not stored: {error.get('errmsg', error)}")


class MongoTickets:
    """工单库: orders, their unique keys and repeat contacts in one collection; each carries its pending events (outbox).

    An order and its key documents go into one unordered `insert_many` with the other orders accepted
    at the same moment: one command per batch, and each order keeps its own duplicate-key answer. An
    order whose key was taken is deleted again (with its other keys) before its caller hears why.
    """

    def __init__(self, dbs: TenantDatabases, outbox: OutboxRelay, *, max_batch: int = 32) -> None:
        self.dbs = dbs
        self.outbox = outbox
        self.max_batch = max_batch
        self._inserters: dict[str, Coalescer[tuple[dict[str, Any], list[dict[str, Any]], Staged], None]] = {}
        outbox.register(TICKETS, lambda tenant, since: numbers_issued_since(dbs, tenant, since),
                        screen=lambda tenant, docs: screen_leftovers(self._col(tenant), tenant, docs))

    def _col(self, tenant: str) -> Any:
        return self.dbs.for_tenant(tenant)[TICKETS]

    async def ensure_indexes(self, tenant: str) -> None:
        col = self._col(tenant)
        if set(await col.index_information()) & set(UNIQUE_FIELD_INDEXES):
            await self._backfill_keys(tenant, col)  # an earlier release kept the unique values in indexes
        await drop_superseded_indexes(col, UNIQUE_FIELD_INDEXES)

    async def _backfill_keys(self, tenant: str, col: Any) -> None:
        held = {"tenant": tenant, "kind": None, "$or": [{"open_key": {"$exists": True}}, {"idempotency_key": {"$exists": True}}]}
        keys = [key for doc in await col.find(held, {"open_key": 1, "idempotency_key": 1, "accepted_at": 1}).to_list()
                for key in key_docs(tenant, doc["_id"], doc.get("accepted_at"), open_key=doc.get("open_key"),
                                    idempotency_key=doc.get("idempotency_key"))]
        for start in range(0, len(keys), RECOVERY_CHUNK):
            with contextlib.suppress(BulkWriteError):  # already there: an interrupted start-up ran this before
                await col.insert_many(keys[start : start + RECOVERY_CHUNK], ordered=False)

    async def insert(self, tenant: str, ticket: Ticket, events: Sequence[Envelope[Any]]) -> None:
        doc = ticket_doc(ticket)
        keys = key_docs(tenant, ticket.ticket_id, ticket.accepted_at, open_key=doc.get("open_key"), idempotency_key=ticket.idempotency_key)
        staged = self.outbox.stamp(tenant, TICKETS, doc, events)
        inserter = self._inserters.get(tenant)
        if inserter is None:
            # One insert at a time: SecantusDB runs a command at a time anyway, and orders arriving
            # meanwhile go into the next, larger batch (each command has a fixed cost).
            inserter = self._inserters[tenant] = Coalescer(
                lambda items: self._insert_batch(tenant, items), max_batch=self.max_batch, max_in_flight=1
            )
        await inserter.submit((doc, keys, staged))

    async def _insert_batch(self, tenant: str, items: list[tuple[dict[str, Any], list[dict[str, Any]], Staged]]) -> list[Exception | None]:
        """Publish what was stored, undo and refuse what lost a key; runs to the end even if a caller has gone."""
        # Each order before its keys: a reader that finds a key finds its order (inserts run in list order).
        docs = [(n, d) for n, (doc, keys, _) in enumerate(items) for d in (doc, *keys)]
        refused: dict[int, dict[str, Any]] = {}
        try:
            await self._col(tenant).insert_many([d for _, d in docs], ordered=False)
        except BulkWriteError as exc:
            refused = {error["index"]: error for error in exc.details.get("writeErrors", [])}
        except BaseException:
            for _, _, staged in items:
                self.outbox.discard(staged)
            raise
        results: list[Exception | None] = [None] * len(items)
        for index in sorted(refused, key=lambda i: docs[i][1].get("kind") != IDEMPOTENCY_KEY):  # a replay answers first
            n, doc = docs[index]
            results[n] = results[n] or _refusal(doc, refused[index])
        for (_, _, staged), result in zip(items, results, strict=True):
            if result is None:
                self.outbox.commit(staged)
            else:
                self.outbox.discard(staged)
        await self._undo(tenant, [d["_id"] for i, (n, d) in enumerate(docs) if results[n] is not None and i not in refused])
        return results

    async def _undo(self, tenant: str, ids: list[str]) -> None:
        """Delete documents of a refused write whose events were discarded; a failure is logged, not raised."""
        if not ids:
            return
        try:
            await self._col(tenant).delete_many({"_id": {"$in": ids}, "tenant": tenant})
        except Exception as exc:  # noqa: BLE001 - the caller's answer stands all the same
            # Left behind, but discarded: this relay never publishes them. Logged by number for removal.
            log.warning("refused documents not deleted", extra={"tenant": tenant, "ids": ids, "error": repr(exc)})

    async def get(self, tenant: str, ticket_id: str) -> Ticket | None:
        doc = await self._col(tenant).find_one({"_id": ticket_id, "tenant": tenant})
        return ticket_of(doc) if doc and "kind" not in doc else None  # key and contact documents are not orders

    async def find_open(self, tenant: str, account_no: str, business_type: str) -> Ticket | None:
        return await self._holder(tenant, key_id(OPEN_KEY, f"{account_no}|{business_type}"))

    async def by_idempotency_key(self, tenant: str, key: str) -> Ticket | None:
        return await self._holder(tenant, key_id(IDEMPOTENCY_KEY, key))

    async def _holder(self, tenant: str, key: str) -> Ticket | None:
        found = await self._col(tenant).find_one({"_id": key, "tenant": tenant})
        if found is None:
            return None
        ticket = await self.get(tenant, found["ticket_id"])
        if ticket is None:
            # Orders are written before their keys, so this key's order was undone and the process
            # stopped before the key went with it: free it.
            await self._col(tenant).delete_one({"_id": key, "ticket_id": found["ticket_id"]})
        return ticket

    async def attach_contact(self, tenant: str, ticket_id: str, contact: dict[str, Any], events: Sequence[Envelope[Any]]) -> int:
        """重复来电: the contact is a document of its own, under the number it was given, and carries its events.

        Its events are then in a document written after they were staged, which outbox recovery finds
        by number like any new order: no index on the older order for them. The contact's
        idempotency key, if any, is written right after it and points at the order, so a retry of
        the same request is answered with the order instead of being attached a second time.
        """
        col = self._col(tenant)
        key = contact.get("idempotency_key")
        doc = {"_id": contact["contact_id"], "tenant": tenant, "kind": REPEAT_CONTACT, "ticket_id": ticket_id, "at": contact["at"],
               **({"idempotency_key": key} if key else {})}
        docs = [doc, *key_docs(tenant, ticket_id, contact["at"], open_key=None, idempotency_key=key)]
        staged = self.outbox.stamp(tenant, TICKETS, doc, events)
        try:
            await col.insert_many(docs)  # ordered: the contact, then its key
        except BulkWriteError as exc:
            self.outbox.discard(staged)
            await self._undo(tenant, [doc["_id"]])  # stored before its key was refused
            if any(e["index"] == 1 and e.get("code") == DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                raise DuplicateIdempotencyKey from None  # a retry of this request was attached first
            raise
        except BaseException:
            self.outbox.discard(staged)
            raise
        try:
            await col.update_one({"_id": ticket_id, "tenant": tenant}, {"$push": {"contacts": contact}, "$inc": {"contact_count": 1}})
        except BaseException:
            self.outbox.discard(staged)
            await self._undo(tenant, [d["_id"] for d in docs])
            raise
        self.outbox.commit(staged)
        order = await col.find_one({"_id": ticket_id, "tenant": tenant}, {"contact_count": 1})
        return int(order["contact_count"]) if order else 0

    async def release_open_key(self, tenant: str, ticket_id: str) -> None:
        await self._stop_absorbing(tenant, ticket_id, {})

    async def close(self, tenant: str, ticket_id: str, at: datetime | None = None) -> None:
        """Closed elsewhere (dispatch): the order stops absorbing repeat contacts."""
        await self._stop_absorbing(tenant, ticket_id, {"state": "closed"}, at)

    async def _stop_absorbing(self, tenant: str, ticket_id: str, changes: dict[str, Any], at: datetime | None = None) -> None:
        col = self._col(tenant)
        found = {"_id": ticket_id, "tenant": tenant, **not_after(at)}
        order = await col.find_one(found, {"open_key": 1})
        if order is None and at is not None:
            return  # reopened after `at` (that event was read first): it stays open
        update: dict[str, Any] = {"$unset": {"open_key": ""}}
        if changes:
            update["$set"] = changes | ({LIFECYCLE_AT: at} if at is not None else {})
        await col.update_one(found, update)
        if order and order.get("open_key"):
            await col.delete_one({"_id": key_id(OPEN_KEY, order["open_key"]), "ticket_id": ticket_id})

    async def reopen(self, tenant: str, ticket_id: str, at: datetime) -> None:
        """Open again; it takes its customer's open key back unless a newer order holds it (that one absorbs calls)."""
        col = self._col(tenant)
        found = {"_id": ticket_id, "tenant": tenant, "kind": None, **not_after(at)}
        order = await col.find_one(found, {"account_no": 1, "business_type": 1})
        if order is None:
            return  # unknown here, or closed again after `at`
        await col.update_one(found, {"$set": {"state": "reopened", LIFECYCLE_AT: at}})
        if not order.get("account_no"):
            return
        key = f"{order['account_no']}|{order['business_type']}"
        try:
            await col.insert_one(key_docs(tenant, ticket_id, at, open_key=key, idempotency_key=None)[0])
        except DuplicateKeyError:
            return  # the customer's newer order is open and absorbs the calls
        await col.update_one({"_id": ticket_id, "tenant": tenant}, {"$set": {"open_key": key}})

    async def list(self, tenant: str, *, state: str | None, business_type: str | None, limit: int) -> list[Ticket]:
        query: dict[str, Any] = {"tenant": tenant, "kind": None}
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
