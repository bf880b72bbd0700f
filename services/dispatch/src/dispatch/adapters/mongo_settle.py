"""Settling the orders waiting on an outage in bulk (its restoration closes up to ~15,000 at once).

Each order's state change and its events are one `UpdateOne` (conditional on the version read and
on still waiting); SETTLE_CHUNK of them go in one unordered `bulk_write`. When a chunk matched fewer
than it sent (another settlement moved some meanwhile), the orders this settlement stored are found
by the `outage_settled_by` mark it wrote: only their events are published.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from dispatch.adapters.mongo_uow import settle
from dispatch.domain.model import HistoryEntry, State, WorkOrder
from hotline_contracts import Envelope
from servicekit.outbox import OutboxRelay, Staged, with_events

SETTLE_CHUNK = 500
WAITING = State.AWAITING_OUTAGE.value

Settled = list[tuple[WorkOrder, list[HistoryEntry]]]


def _update(order: WorkOrder, entries: list[HistoryEntry], doc: dict[str, Any]) -> dict[str, Any]:
    doc.pop("history")
    doc["version"] = order.version + 1
    return {"$set": doc, "$push": {"history": {"$each": [dataclasses.asdict(h) for h in entries]}}}


async def save_settled(col: Any, outbox: OutboxRelay, to_doc: Any, tenant: str, settled: Settled,
                       events: dict[str, list[Envelope[Any]]], collection: str) -> list[str]:
    stored: list[str] = []
    for i in range(0, len(settled), SETTLE_CHUNK):
        chunk = settled[i : i + SETTLE_CHUNK]
        ops, staged = [], []
        for order, entries in chunk:
            stage, operators = outbox.stamp_update(tenant, collection, events.get(order.ticket_id, []))
            staged.append(stage)
            ops.append(UpdateOne({"tenant": tenant, "ticket_id": order.ticket_id, "version": order.version, "state": WAITING},
                                 with_events(_update(order, entries, to_doc(order)), operators)))
        # Shielded: once sent, the chunk's events are settled even if the consumer is cancelled meanwhile.
        ids = await asyncio.shield(asyncio.ensure_future(_write(col, outbox, tenant, chunk, ops, staged)))
        for order, _ in chunk:
            if order.ticket_id in ids:
                order.version += 1
        stored += [o.ticket_id for o, _ in chunk if o.ticket_id in ids]
    return stored


async def _write(col: Any, outbox: OutboxRelay, tenant: str, chunk: Settled, ops: list[UpdateOne],
                 staged: list[Staged]) -> set[str]:
    tids = [o.ticket_id for o, _ in chunk]
    try:
        result = await col.bulk_write(ops, ordered=False)
        matched = result.matched_count
    except BulkWriteError as exc:
        if exc.details.get("writeConcernErrors"):
            for stage in staged:
                settle(outbox, stage, stored=False)
            raise
        matched = -1
    except BaseException:
        for stage in staged:
            settle(outbox, stage, stored=False)
        raise
    if matched == len(ops):
        ids = set(tids)
    else:  # some were not ours to settle: ours carry this settlement's mark
        marks = {o.ticket_id: o.outage_settled_by for o, _ in chunk}
        cursor = col.find({"tenant": tenant, "ticket_id": {"$in": tids}}, {"ticket_id": 1, "outage_settled_by": 1})
        ids = {doc["ticket_id"] async for doc in cursor if doc.get("outage_settled_by") == marks[doc["ticket_id"]]}
    for tid, stage in zip(tids, staged, strict=True):
        settle(outbox, stage, stored=tid in ids)
    return ids
