"""MongoDB adapters: work orders, rule tables, crews/rosters and handover records, one database per tenant.

Work orders and handover records carry their pending events (`servicekit.outbox`): both collections
are registered with the process's relay as `appends` collections. A new order takes its events in
its insert (`stamp`); a state change, a scan's marks or a confirmation appends them in the same
update (`stamp_update` merged by `with_events`). Readers never see the `outbox*` fields.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
import random
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from dispatch.adapters import mongo_settle
from dispatch.adapters.group_commit import GroupInsert
from dispatch.adapters.memory import ACTIVE_CREW_STATES
from dispatch.adapters.mongo_uow import settle, written
from dispatch.domain.model import DONE_STATES, HistoryEntry, Pause, State, WorkOrder
from dispatch.ports import DuplicateOrder, Marks, StaleHandover, StaleOrder
from hotline_contracts import Envelope
from servicekit.mongo import TenantDatabases
from servicekit.outbox import OutboxRelay, Staged, with_events
from servicekit.refreshing import RefreshingCache

log = logging.getLogger(__name__)

ORDERS = "work_orders"
HANDOVERS = "shift_handovers"
OUTBOX_FIELDS = ("outbox", "outbox_owner", "outbox_at")
WITHOUT_OUTBOX = {"outbox": 0}  # the largest of them; the other two are dropped when read
MARKS_CHUNK = 500
OPEN = {"$nin": [s.value for s in DONE_STATES]}
LIST_BATCH = 1000


ORDER_FIELDS = tuple(f.name for f in dataclasses.fields(WorkOrder))


def to_doc(order: WorkOrder) -> dict[str, Any]:
    """The stored document: what `dataclasses.asdict` gives, built by hand. asdict deep-copies every value
    (each datetime through copy.deepcopy) and was an eighth of dispatch's CPU at 212 tickets/s."""
    doc = {name: getattr(order, name) for name in ORDER_FIELDS}
    doc["state"] = order.state.value
    doc["milestones"] = dict(order.milestones)
    doc["pauses"] = [dict(vars(p)) for p in order.pauses]
    doc["history"] = [dict(vars(h)) for h in order.history]
    doc["marks"] = {clock: dict(mark) for clock, mark in order.marks.items()}
    doc["reply"] = copy.deepcopy(order.reply)
    doc["audit_reasons"] = list(order.audit_reasons)
    return doc


def from_doc(doc: dict[str, Any]) -> WorkOrder:
    doc = {k: v for k, v in doc.items() if k != "_id" and k not in OUTBOX_FIELDS}
    doc["state"] = State(doc["state"])
    doc["pauses"] = [Pause(**p) for p in doc.get("pauses", [])]
    doc["history"] = [HistoryEntry(**h) for h in doc.get("history", [])]
    return WorkOrder(**doc)


class MongoOrders:
    # Crew choice reads every active order of a station's crews; doing that per new ticket grows with the
    # backlog, so counts are cached per crew, bumped locally and re-read in the background.
    WORKLOAD_CACHE_SECONDS = 5.0

    def __init__(self, dbs: TenantDatabases, outbox: OutboxRelay) -> None:
        self.dbs = dbs
        self.outbox = outbox
        self._workload: dict[tuple[str, str], tuple[float, int]] = {}  # (tenant, crew) -> (stale at, active orders)
        self._counting: dict[tuple[str, str], asyncio.Task[None]] = {}  # one read in flight per crew
        self._inserts = GroupInsert(outbox)  # a batch of new tickets stores its orders in one request
        outbox.register(ORDERS, appends=True)  # an order gains events with every action after its insert

    def _col(self, tenant: str):
        return self.dbs.for_tenant(tenant)[ORDERS]

    async def ensure_indexes(self, tenant: str) -> None:
        col = self._col(tenant)
        await col.create_index([("tenant", ASCENDING), ("ticket_id", ASCENDING)], unique=True)
        await col.create_index([("tenant", ASCENDING), ("state", ASCENDING)])
        await col.create_index([("tenant", ASCENDING), ("crew_code", ASCENDING), ("state", ASCENDING)])

    async def get(self, tenant: str, ticket_id: str) -> WorkOrder | None:
        doc = await self._col(tenant).find_one({"tenant": tenant, "ticket_id": ticket_id}, WITHOUT_OUTBOX)
        return from_doc(doc) if doc else None

    async def insert(self, order: WorkOrder, events: Sequence[Envelope[Any]]) -> None:
        """The order and its events in one insert (batched with the orders handled at the same moment)."""
        doc = to_doc(order)
        staged = self.outbox.stamp(order.tenant, ORDERS, doc, events) if events else None
        try:
            await self._inserts.insert(self._col(order.tenant), doc, staged)  # commits or discards `staged`
        except DuplicateKeyError:
            raise DuplicateOrder(order.ticket_id) from None
        key = (order.tenant, order.crew_code or "")
        if key in self._workload:
            stale_at, count = self._workload[key]
            self._workload[key] = (stale_at, count + 1)

    async def save(self, order: WorkOrder, new_history: list[HistoryEntry], events: Sequence[Envelope[Any]]) -> None:
        """Optimistic: only the version read may be replaced; history is only ever appended ($push).

        The events go into the same update (appended to the order's outbox), published once it is stored.
        """
        doc = to_doc(order)
        doc.pop("history")
        doc["version"] = order.version + 1
        update: dict[str, Any] = {"$set": doc, "$push": {"history": {"$each": [dataclasses.asdict(h) for h in new_history]}}}
        staged = None
        if events:
            staged, operators = self.outbox.stamp_update(order.tenant, ORDERS, events)
            update = with_events(update, operators)
        result = await written(self.outbox, staged, self._col(order.tenant).update_one(
            {"tenant": order.tenant, "ticket_id": order.ticket_id, "version": order.version}, update))
        if result.matched_count == 0:
            raise StaleOrder(order.ticket_id)
        order.version += 1

    async def list_open(self, tenant: str) -> list[WorkOrder]:
        # Modest batches: each is decoded in one go on the event loop that new tickets share (30k open
        # orders in the default 16 MB batches held it for 1.5 s; in batches of 1000, 0.6 s).
        cursor = self._col(tenant).find({"tenant": tenant, "state": OPEN}, {"history": 0, **WITHOUT_OUTBOX},
                                        batch_size=LIST_BATCH)
        return [from_doc(doc) async for doc in cursor]

    async def save_marks(self, tenant: str, marks: Marks, events: dict[str, list[Envelope[Any]]]) -> None:
        """Each order's new marks and the events they raised in one update; MARKS_CHUNK updates per request.

        A chunk's events are staged just before it is sent and published once it is stored; an update
        the server refused keeps neither (the next scan raises them again). A failed request fails the scan.
        """
        tids = list(marks)
        for i in range(0, len(tids), MARKS_CHUNK):
            await self._save_marks_chunk(tenant, {tid: marks[tid] for tid in tids[i : i + MARKS_CHUNK]}, events)

    async def _save_marks_chunk(self, tenant: str, marks: Marks, events: dict[str, list[Envelope[Any]]]) -> None:
        ops, staged = [], []
        for tid, changed in marks.items():
            update: dict[str, Any] = {"$set": {f"marks.{clock}": m for clock, m in changed.items()}}
            if events.get(tid):
                stage, operators = self.outbox.stamp_update(tenant, ORDERS, events[tid])
                update = with_events(update, operators)
                staged.append(stage)
            else:
                staged.append(None)
            ops.append(UpdateOne({"tenant": tenant, "ticket_id": tid}, update))
        refused = await asyncio.shield(asyncio.ensure_future(self._bulk_thensettle(tenant, ops, staged)))
        if refused:
            raise RuntimeError(f"{refused} of {len(ops)} time-limit marks not stored")

    async def _bulk_thensettle(self, tenant: str, ops: list[UpdateOne], staged: list[Staged | None]) -> int:
        """The bulk write, then each update's events committed or discarded; returns how many were refused."""
        refused: set[int] = set()
        try:
            await self._col(tenant).bulk_write(ops, ordered=False)
        except BulkWriteError as exc:
            refused = {error["index"] for error in exc.details.get("writeErrors", [])}
            if exc.details.get("writeConcernErrors"):
                refused = set(range(len(ops)))  # durability unknown: as intake, publish none of them
        except BaseException:
            for stage in staged:
                settle(self.outbox, stage, stored=False)
            raise
        for n, stage in enumerate(staged):
            settle(self.outbox, stage, stored=n not in refused)
        return len(refused)

    async def awaiting(self, tenant: str, outage_ids: list[str]) -> list[WorkOrder]:
        # Rides the (tenant, state) index: only waiting orders are read, no index of its own on outage_id
        # (every insert would pay for it).
        filt = {"tenant": tenant, "state": State.AWAITING_OUTAGE.value, "outage_id": {"$in": outage_ids}}
        cursor = self._col(tenant).find(filt, {"history": 0, **WITHOUT_OUTBOX}, batch_size=LIST_BATCH)
        return [from_doc(doc) async for doc in cursor]

    async def save_settled(self, tenant: str, settled: list[tuple[WorkOrder, list[HistoryEntry]]],
                           events: dict[str, list[Envelope[Any]]]) -> list[str]:
        return await mongo_settle.save_settled(self._col(tenant), self.outbox, to_doc, tenant, settled, events, ORDERS)

    async def workload(self, tenant: str, crew_codes: list[str]) -> dict[str, int]:
        """Active orders per crew: the last count read plus this process's own assignments since.

        Only a crew never counted waits for the database; a count older than WORKLOAD_CACHE_SECONDS is
        re-read in the background and replaces the old one when it lands, so a new ticket never waits on it.
        """
        missing = [c for c in crew_codes if (tenant, c) not in self._workload]
        if missing:
            await asyncio.gather(*(asyncio.shield(self._recount(tenant, c)) for c in missing))
        now = time.monotonic()
        for c in crew_codes:
            if now > self._workload[(tenant, c)][0]:
                self._recount(tenant, c)
        return {c: self._workload[(tenant, c)][1] for c in crew_codes}

    def _recount(self, tenant: str, crew_code: str) -> asyncio.Task[None]:
        """The crew's count read in flight, started if none is."""
        key = (tenant, crew_code)
        task = self._counting.get(key)
        if task is None:
            task = self._counting[key] = asyncio.create_task(self._read_count(tenant, crew_code))
            task.add_done_callback(lambda t: self._counted(key, t))
        return task

    def _counted(self, key: tuple[str, str], task: asyncio.Task[None]) -> None:
        self._counting.pop(key, None)
        if not task.cancelled() and task.exception() is not None:  # the old count stays; the next ticket retries
            log.warning("crew workload read failed", extra={"tenant": key[0], "crew": key[1], "error": repr(task.exception())})

    async def _read_count(self, tenant: str, crew_code: str) -> None:
        # One crew per query: equality on crew_code rides the (tenant, crew_code, state) index, while `$in` on
        # two fields makes SecantusDB scan the whole collection (~55 ms per 800 orders, and the server does
        # nothing else meanwhile).
        filt = {"tenant": tenant, "crew_code": crew_code, "state": {"$in": sorted(ACTIVE_CREW_STATES)}}
        count = len([doc async for doc in self._col(tenant).find(filt, {"_id": 1})])
        # Re-read after a random 50-100% of the period: crews first counted together would otherwise be
        # re-read together, and that burst of reads holds up every write queued behind it.
        stale_at = time.monotonic() + self.WORKLOAD_CACHE_SECONDS * random.uniform(0.5, 1.0)
        self._workload[(tenant, crew_code)] = (stale_at, count)

    async def for_handover(self, tenant: str, starts: datetime, ends: datetime, agents: list[str]) -> list[WorkOrder]:
        who = [{"created_at": {"$gte": starts, "$lt": ends}}] + ([{"first_contact_owner": {"$in": agents}}] if agents else [])
        cursor = self._col(tenant).find({"tenant": tenant, "state": OPEN, "$or": who}, {"history": 0, **WITHOUT_OUTBOX})
        return [from_doc(doc) async for doc in cursor]


class MongoCrews:
    """Seeded `crews` and `crew_rosters`, read per station; a station's roster is cached for a minute."""

    CACHE_SECONDS = 60.0  # rosters are planned days ahead; every repair order would otherwise re-read them

    def __init__(self, dbs: TenantDatabases) -> None:
        self.dbs = dbs
        self._rosters: RefreshingCache[tuple[str, str], list[dict]] = RefreshingCache(self.CACHE_SECONDS)
        self._stations: RefreshingCache[str, dict[str, list[str]]] = RefreshingCache(self.CACHE_SECONDS)

    async def on_duty(self, tenant: str, station_code: str, at: datetime) -> list[str]:
        async def read() -> list[dict]:
            filt = {"tenant": tenant, "station_code": station_code, "ends_at": {"$gt": at}}
            return [doc async for doc in self.dbs.for_tenant(tenant)["crew_rosters"].find(filt, {"_id": 0})]

        rows = await self._rosters.get((tenant, station_code), read)
        return [row["crew_code"] for row in rows if row["starts_at"] <= at < row["ends_at"]]

    async def stations(self, tenant: str) -> dict[str, list[str]]:
        """The unit's crews by station; cached, as every crew report checks its crew against it."""

        async def read() -> dict[str, list[str]]:
            out: dict[str, list[str]] = {}
            async for doc in self.dbs.for_tenant(tenant)["crews"].find({"tenant": tenant}, {"code": 1, "station_code": 1}):
                out.setdefault(doc["station_code"], []).append(doc["code"])
            return out

        return await self._stations.get(tenant, read)


class MongoHandovers:
    """交接班记录: a record gains its event (shift_handover.published) when its second side confirms."""

    def __init__(self, dbs: TenantDatabases, outbox: OutboxRelay) -> None:
        self.dbs = dbs
        self.outbox = outbox
        outbox.register(HANDOVERS, appends=True)

    def _col(self, tenant: str):
        return self.dbs.for_tenant(tenant)[HANDOVERS]

    async def ensure_indexes(self, tenant: str) -> None:
        await self._col(tenant).create_index([("tenant", ASCENDING), ("handover_id", ASCENDING)], unique=True)

    async def insert(self, record: dict, events: Sequence[Envelope[Any]]) -> None:
        doc = dict(record)
        staged = self.outbox.stamp(record["tenant"], HANDOVERS, doc, events) if events else None
        await written(self.outbox, staged, self._col(record["tenant"]).insert_one(doc))

    async def get(self, tenant: str, handover_id: str) -> dict | None:
        doc = await self._col(tenant).find_one({"tenant": tenant, "handover_id": handover_id}, {"_id": 0, **WITHOUT_OUTBOX})
        return {k: v for k, v in doc.items() if k not in OUTBOX_FIELDS} if doc else None

    async def update(self, tenant: str, handover_id: str, changes: dict, events: Sequence[Envelope[Any]], *,
                     expect: dict) -> None:
        update: dict[str, Any] = {"$set": changes}
        staged = None
        if events:
            staged, operators = self.outbox.stamp_update(tenant, HANDOVERS, events)
            update = with_events(update, operators)
        result = await written(self.outbox, staged, self._col(tenant).update_one(
            {"tenant": tenant, "handover_id": handover_id, **expect}, update))
        if result.matched_count == 0:
            raise StaleHandover(handover_id)
