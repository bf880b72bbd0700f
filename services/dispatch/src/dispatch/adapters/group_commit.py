"""Group commit: single-document inserts into one collection that arrive while a write is in flight go together.

Each caller still awaits its own document's outcome (a DuplicateKeyError is raised to its caller alone); what
changes is the round trips: one `insert_many(ordered=False)` per batch instead of one `insert_one` per document
(servicekit's Coalescer, one per collection). New tickets are handled concurrently, so the orders of those in
flight together travel in one request; on SecantusDB a batched insert costs a fraction of single
inserts, and the client's own per-request work (about 1 ms of event-loop time per `insert_one`) is paid once.

A document may carry its events (stamped by the outbox relay before it joins the batch): they are
committed to the relay once their document is stored and discarded when it is refused or the batch
fails, inside the batch, so a caller that stops waiting (cancelled) cannot leave them undecided.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError, WriteError

from servicekit.batching import Coalescer
from servicekit.outbox import OutboxRelay, Staged

Item = tuple[dict[str, Any], Staged | None]  # a document and the events stamped into it (if any)


class GroupInsert:
    MAX_BATCH = 64  # a Kafka batch of new tickets (max_records)

    def __init__(self, outbox: OutboxRelay) -> None:
        self.outbox = outbox
        self._by_collection: dict[tuple[str, str], Coalescer[Item, None]] = {}

    async def insert(self, collection: AsyncCollection, doc: dict[str, Any], staged: Staged | None = None) -> None:
        """Insert `doc`; returns once it is stored, raises what storing it alone raised (DuplicateKeyError...)."""
        key = (collection.database.name, collection.name)
        coalescer = self._by_collection.get(key)
        if coalescer is None:  # one write in flight per collection: later documents wait and go in the next
            coalescer = self._by_collection[key] = Coalescer(
                lambda items: self._insert_many(collection, items), max_batch=self.MAX_BATCH, max_in_flight=1)
        await coalescer.submit((doc, staged))

    async def _insert_many(self, collection: AsyncCollection, items: list[Item]) -> list[Exception | None]:
        try:
            results = await _insert_many(collection, [doc for doc, _ in items])
        except BaseException:
            self._settle(items, [True] * len(items))  # not known to be stored: this relay publishes none of them
            raise
        self._settle(items, [result is not None for result in results])
        return results

    def _settle(self, items: list[Item], refused: list[bool]) -> None:
        for (_, staged), no in zip(items, refused, strict=True):
            if staged is not None:
                (self.outbox.discard if no else self.outbox.commit)(staged)


async def _insert_many(collection: AsyncCollection, docs: list[dict[str, Any]]) -> list[Exception | None]:
    try:
        await collection.insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        if exc.details.get("writeConcernErrors"):
            raise  # durability unknown for all of them: every caller hears it
        refused = {error["index"]: error for error in exc.details.get("writeErrors", [])}
        return [_refusal(refused[i]) if i in refused else None for i in range(len(docs))]
    return [None] * len(docs)


def _refusal(error: dict[str, Any]) -> Exception:
    kind = DuplicateKeyError if error.get("code") == 11000 else WriteError
    return kind(error.get("errmsg", ""), error.get("code"), error)
