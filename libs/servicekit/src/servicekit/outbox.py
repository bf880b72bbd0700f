"""Transactional outbox (事务性发件箱): events stored inside the business document, published by a relay.

Persist, then publish, never lose either. A writer puts the document's pending events in an
`outbox` array of the same document (one atomic insert), then hands them to the relay, which
publishes them from memory in gathered batches. No write per published event: on SecantusDB an
update costs as much as an insert, so clearing a flag per document would halve the write rate.
Instead each relay (owner) writes a checkpoint per tenant and collection about once a second:
"every document I stamped before `published_before` is published". A relay that dies leaves a
checkpoint whose heartbeat goes stale; any live relay then republishes that owner's documents
stamped at or after the checkpoint (at least once: consumers drop duplicates by event id).

Finding those documents needs an index, and every insert pays for each index it maintains (on
SecantusDB an `(outbox_owner, outbox_at)` index cost about a fifth of the database's work per
order). So a collection can name its own `Candidates`: index-backed filters (e.g. `_id $in` over
the numbers handed out since a time) that cover every document first written after it. Events
that belong to an older document are stored in a new document of their own (intake: a repeat
contact gets its own number), so every event is in a document written after it was staged.
A collection can also name a `Screen` that keeps a refused write's leftovers (stored, then not
deleted because the process stopped) from being published by the relay that recovers them.

A collection whose documents gain events after they are first written (a work order moves through
its states; an outage is published, started, restored) registers with `appends=True`. Each write
then appends its events to the document's `outbox` array in the same update that changes its state
(`stamp_update`: `$push` with `$slice`, so a document keeps only its latest events), and every entry
carries its own owner and stamp. The document's `outbox_at` only moves forward (`$max`), so the
recovery query `outbox_at >= checkpoint` on one single-field index finds every document that holds
an entry of a dead relay, whoever wrote the document last; only that relay's entries are republished.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import socket
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hotline_contracts import Envelope
from servicekit.metrics import StandardMetrics
from servicekit.mongo import TenantDatabases, drop_superseded_indexes

log = logging.getLogger(__name__)

CHECKPOINTS = "outbox_checkpoints"
# Hands one stored entry to the broker client. Awaiting the call queues the event (in call order);
# awaiting what it returns waits for the broker's acknowledgement. Split in two so a batch needs
# no task per event: one task per send cost about a quarter of the relay's CPU per event.
Send = Callable[[dict[str, Any]], Awaitable[Awaitable[Any]]]
Clock = Callable[[], datetime]
# (tenant, since) → filters on indexed fields that together match every document of the collection
# first written at or after `since` (more is fine: the owner and stamp time are checked as well).
Candidates = Callable[[str, datetime], AsyncIterator[dict[str, Any]]]
# (tenant, documents a dead relay left unconfirmed) → those whose events may go out. A writer that
# stores a document and deletes it again when it is refused can stop in between; its screen drops
# (and removes) such leftovers, whose callers never heard they were accepted.
Screen = Callable[[str, list[dict[str, Any]]], Awaitable[list[dict[str, Any]]]]
OWNER_INDEX = [("outbox_owner", 1), ("outbox_at", 1)]
STAMP_INDEX = [("outbox_at", 1)]
# Events a document keeps (`appends` collections). Recovery needs only those stamped since its relay's
# last checkpoint (about a second, or `stale_after` for a relay that stopped); a document gains a few
# per action, so this bounds the document's size without a write to clear what was published.
KEEP_APPENDED = 32
# Earlier releases marked documents that had events appended in this index; no writer enters it now.
SUPERSEDED_INDEXES = ["tenant_1_outbox_owner_1_outbox_at_1", "outbox_moved_owner_1_outbox_moved_at_1"]


def entry_of(envelope: Envelope[Any]) -> dict[str, Any]:
    """The stored form of one pending event: enough to publish it without the model class."""
    return {
        "id": envelope.id,
        "topic": envelope.data.topic(),
        "key": envelope.subject or envelope.id,
        "ce_type": envelope.type,
        "correlation_id": envelope.correlation_id,
        "payload": envelope.model_dump_json(),
    }


def broker_sender(broker: Any, metrics: StandardMetrics, service: str) -> Send:
    """Send one stored entry with the FastStream broker, as `EventPublisher.publish` would."""

    async def send(entry: dict[str, Any]) -> asyncio.Future[Any]:
        ack: asyncio.Future[Any] = await broker.publish(
            entry["payload"].encode(),
            topic=entry["topic"],
            key=entry["key"].encode(),
            headers={"ce_type": entry["ce_type"], "ce_id": entry["id"], "correlation_id": entry["correlation_id"]},
            correlation_id=entry["correlation_id"],
            no_confirm=True,  # the acknowledgement is returned and awaited by the relay
        )
        published = metrics.events_published.labels(service, entry["topic"])
        ack.add_done_callback(lambda done: None if done.cancelled() or done.exception() else published.inc())
        return ack

    return send


def with_events(update: dict[str, Any], operators: dict[str, Any]) -> dict[str, Any]:
    """One update document from a state change's operators and `stamp_update`'s (they never share a field)."""
    merged = {op: dict(fields) for op, fields in update.items()}
    for op, fields in operators.items():
        merged.setdefault(op, {}).update(fields)
    return merged


def default_owner(service: str) -> str:
    return f"{service}-{socket.gethostname()}-{uuid.uuid4().hex[:8]}"


@dataclass
class Staged:
    """Events of one document write, from stamping until every one is published."""

    tenant: str
    collection: str
    at: datetime
    entries: list[dict[str, Any]]
    seq: int = 0


@dataclass
class OutboxRelay:
    """Publishes staged events, checkpoints progress, and takes over the backlog of dead relays."""

    dbs: TenantDatabases
    send: Send
    metrics: StandardMetrics
    tenants: list[str]
    owner: str
    batch_size: int = 500
    checkpoint_interval: float = 1.0
    stale_after: float = 30.0
    max_backoff: float = 5.0
    linger: float = 0.0
    clock: Clock = field(default=lambda: datetime.now(UTC))
    paused: bool = False
    collections: dict[str, Candidates | None] = field(default_factory=dict)
    screens: dict[str, Screen] = field(default_factory=dict)
    appends: set[str] = field(default_factory=set)
    _in_flight: dict[int, Staged] = field(default_factory=dict)
    _queue: deque[Staged] = field(default_factory=deque)
    _seq: Any = field(default_factory=itertools.count)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None
    _started_at: datetime | None = None

    def register(
        self, collection: str, candidates: Candidates | None = None, screen: Screen | None = None, *, appends: bool = False
    ) -> None:
        """A collection whose documents carry events.

        Recovery finds a dead relay's documents through `candidates`, else an `(owner, at)` index, or,
        for `appends` collections (events added to existing documents too), an `outbox_at` index.
        """
        if appends and candidates is not None:
            raise ValueError("an appends collection is found by its outbox_at index, not by candidates")
        self.collections[collection] = candidates
        if screen is not None:
            self.screens[collection] = screen
        if appends:
            self.appends.add(collection)

    # -- writer side -------------------------------------------------------------------------
    def stamp(self, tenant: str, collection: str, doc: dict[str, Any], envelopes: Iterable[Envelope[Any]]) -> Staged:
        """Put the events into `doc` before it is inserted; call `commit` or `discard` afterwards."""
        staged = self._stage(tenant, collection, envelopes)
        if collection in self.appends:
            doc.update(outbox=self._owned(staged), outbox_owner=self.owner, outbox_at=staged.at)
        else:
            doc.update(outbox=staged.entries, outbox_owner=self.owner, outbox_at=staged.at)
        return staged

    def stamp_update(self, tenant: str, collection: str, envelopes: Iterable[Envelope[Any]]) -> tuple[Staged, dict[str, Any]]:
        """The update operators that append the events to an existing document of an `appends` collection.

        Merge them into the state change's own update (`with_events`), so state and events are one
        write; then call `commit` or `discard` as for `stamp`.
        """
        if collection not in self.appends:
            raise ValueError(f"{collection!r} is not registered with appends=True")
        staged = self._stage(tenant, collection, envelopes)
        operators = {
            "$push": {"outbox": {"$each": self._owned(staged), "$slice": -KEEP_APPENDED}},
            "$max": {"outbox_at": staged.at},
        }
        return staged, operators

    def _owned(self, staged: Staged) -> list[dict[str, Any]]:
        return [{**entry, "owner": self.owner, "at": staged.at} for entry in staged.entries]

    def commit(self, staged: Staged) -> None:
        """The write is durable: publish its events."""
        self._in_flight.pop(staged.seq, None)
        self._queue.append(staged)
        self._wake.set()

    def discard(self, staged: Staged) -> None:
        """The write failed: nothing to publish."""
        self._in_flight.pop(staged.seq, None)

    def _stage(self, tenant: str, collection: str, envelopes: Iterable[Envelope[Any]]) -> Staged:
        staged = Staged(tenant, collection, self.clock(), [entry_of(e) for e in envelopes], next(self._seq))
        self._in_flight[staged.seq] = staged
        return staged

    # -- relay side --------------------------------------------------------------------------
    async def ensure_indexes(self) -> None:
        """Startup hook: the recovery query's index, and this owner's first checkpoint."""
        self._started_at = self._started_at or self.clock()
        for tenant in self.tenants:
            db = self.dbs.for_tenant(tenant)
            for name, candidates in self.collections.items():
                # No leading `tenant`: the database is the tenant's own, and every insert pays for each key field.
                superseded = list(SUPERSEDED_INDEXES)
                if name in self.appends:
                    await db[name].create_index(STAMP_INDEX)
                    superseded.append("outbox_owner_1_outbox_at_1")
                elif candidates is None:
                    await db[name].create_index(OWNER_INDEX)
                else:
                    superseded.append("outbox_owner_1_outbox_at_1")
                await drop_superseded_indexes(db[name], superseded)
            await db[CHECKPOINTS].create_index([("tenant", 1), ("collection", 1), ("heartbeat", 1)])
        await self.checkpoint()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self.owner}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def backlog(self) -> int:
        return sum(len(s.entries) for s in itertools.chain(self._in_flight.values(), self._queue))

    def watermark(self, tenant: str, collection: str) -> datetime:
        """Everything this owner stamped before the returned time is published."""
        pending = [s.at for s in itertools.chain(self._in_flight.values(), self._queue) if (s.tenant, s.collection) == (tenant, collection)]
        return min(pending, default=self.clock())

    async def _run(self) -> None:
        backoff = 0.1
        last_checkpoint = last_recovery = 0.0
        loop = asyncio.get_running_loop()
        while True:
            try:
                if self.paused:
                    await self._idle(last_checkpoint, loop)
                    last_checkpoint = loop.time()
                    continue
                if self.linger and 0 < len(self._queue) < self.batch_size:
                    # A few milliseconds gather the events of concurrent requests into one produce
                    # request; sent one by one, each costs the service and the broker a round of wake-ups.
                    await asyncio.sleep(self.linger)
                published = await self.publish_batch()
                backoff = 0.1
                if loop.time() - last_checkpoint >= self.checkpoint_interval:
                    await self.checkpoint()
                    last_checkpoint = loop.time()
                if loop.time() - last_recovery >= self.stale_after / 2:
                    await self.recover_stale()
                    last_recovery = loop.time()
                if not published:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=self.checkpoint_interval)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - broker or database down: keep everything, retry later
                log.warning("outbox relay waiting", extra={"error": repr(exc), "backlog": self.backlog()})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)

    async def _idle(self, last_checkpoint: float, loop: asyncio.AbstractEventLoop) -> None:
        """Paused: publish nothing, keep checkpointing (the watermark stays at the oldest unpublished event)."""
        await asyncio.sleep(max(0.0, self.checkpoint_interval - (loop.time() - last_checkpoint)))
        await self.checkpoint()

    async def publish_batch(self) -> int:
        """Publish up to `batch_size` events (gathered sends); failed ones go back to the front."""
        self._update_gauges()
        batch: list[Staged] = []
        count = 0
        while self._queue and count < self.batch_size:
            staged = self._queue.popleft()
            batch.append(staged)
            count += len(staged.entries)
        if not batch:
            return 0
        entries = [(s, e) for s in batch for e in s.entries]
        results = await self._send_all([e for _, e in entries])
        failed: dict[int, list[dict[str, Any]]] = {}
        for (staged, entry), result in zip(entries, results, strict=True):
            if isinstance(result, BaseException):
                failed.setdefault(staged.seq, []).append(entry)
        for staged in reversed(batch):
            if staged.seq in failed:
                staged.entries = failed[staged.seq]
                self._queue.appendleft(staged)
        self._update_gauges()
        if failed:
            first = next(r for r in results if isinstance(r, BaseException))
            raise RuntimeError(f"{sum(map(len, failed.values()))} of {len(entries)} sends failed") from first
        return len(entries)

    async def _send_all(self, entries: list[dict[str, Any]]) -> list[Any]:
        """Queue the entries in order, then wait for every acknowledgement; a failure stands in its entry's place.

        After the first entry the client refuses, the rest are not offered: they would wait for the
        same broker one after another (a client without metadata blocks each send for its timeout).
        """
        handed: list[Any] = []
        for entry in entries:
            try:
                handed.append(await self.send(entry))
            except Exception as exc:  # noqa: BLE001 - reported through the results, like a failed acknowledgement
                handed.extend([exc] * (len(entries) - len(handed)))
                break
        acks = [h for h in handed if not isinstance(h, BaseException)]
        confirmed = iter(await asyncio.gather(*acks, return_exceptions=True))
        return [h if isinstance(h, BaseException) else next(confirmed) for h in handed]

    def _update_gauges(self) -> None:
        self.metrics.outbox_backlog.set(self.backlog())
        pending = [s.at for s in itertools.chain(self._in_flight.values(), self._queue)]
        age = (self.clock() - min(pending)).total_seconds() if pending else 0.0
        self.metrics.outbox_oldest_age.set(max(age, 0.0))

    async def drain(self, timeout: float) -> None:
        """At shutdown: publish what is queued (bounded), then record how far this owner got."""
        async def publish_all() -> None:
            while self._queue and not self.paused:
                await self.publish_batch()

        with contextlib.suppress(Exception):
            await asyncio.wait_for(publish_all(), timeout=timeout)
        with contextlib.suppress(Exception):
            await self.checkpoint()

    async def checkpoint(self) -> None:
        now = self.clock()
        for tenant in self.tenants:
            col = self.dbs.for_tenant(tenant)[CHECKPOINTS]
            for name in self.collections:
                await col.update_one(
                    {"_id": f"{name}:{self.owner}"},
                    {"$set": {"tenant": tenant, "collection": name, "owner": self.owner,
                              "published_before": self.watermark(tenant, name), "heartbeat": now}},
                    upsert=True,
                )

    async def recover_stale(self) -> int:
        """Republish the unconfirmed documents of relays whose heartbeat stopped; returns events sent."""
        sent = 0
        cutoff = self.clock() - timedelta(seconds=self.stale_after)
        for tenant in self.tenants:
            db = self.dbs.for_tenant(tenant)
            stale = [c async for c in db[CHECKPOINTS].find({"tenant": tenant, "heartbeat": {"$lt": cutoff}})]
            for cp in stale:
                if cp["owner"] == self.owner:
                    continue
                claimed = await db[CHECKPOINTS].update_one(
                    {"_id": cp["_id"], "heartbeat": cp["heartbeat"]}, {"$set": {"heartbeat": self.clock(), "recovering_by": self.owner}}
                )
                if claimed.modified_count != 1:
                    continue  # another relay took it
                sent += await self._republish(tenant, cp)
                await db[CHECKPOINTS].delete_one({"_id": cp["_id"]})
        return sent

    async def _republish(self, tenant: str, cp: dict[str, Any]) -> int:
        col = self.dbs.for_tenant(tenant)[cp["collection"]]
        owner, since = cp["owner"], cp["published_before"]
        if cp["collection"] in self.appends:
            entries = await self._appended_since(col, tenant, owner, since)
            return await self._resend(cp, entries)
        stamped = {"tenant": tenant, "outbox_owner": owner, "outbox_at": {"$gte": since}}
        candidates = self.collections.get(cp["collection"])
        if candidates is None:
            queries = [stamped]
        else:
            queries = [{**where, **stamped} async for where in candidates(tenant, since)]
        screen = self.screens.get(cp["collection"])
        docs: dict[Any, dict[str, Any]] = {}
        for query in queries:  # a screen sees whole documents; otherwise only the events are read
            docs.update({doc["_id"]: doc async for doc in col.find(query, None if screen else {"outbox": 1})})
        kept = await screen(tenant, list(docs.values())) if screen else list(docs.values())
        entries = [e for doc in kept for e in doc.get("outbox", [])]
        return await self._resend(cp, entries)

    @staticmethod
    async def _appended_since(col: Any, tenant: str, owner: str, since: datetime) -> list[dict[str, Any]]:
        """The entries `owner` appended at or after `since`, from every document stamped since then."""
        found = col.find({"tenant": tenant, "outbox_at": {"$gte": since}}, {"outbox": 1})
        entries = [e async for doc in found for e in doc.get("outbox", []) if e.get("owner") == owner and e["at"] >= since]
        return sorted(entries, key=lambda e: e["at"])  # stable: a document's own events keep their order

    async def _resend(self, cp: dict[str, Any], entries: list[dict[str, Any]]) -> int:
        for start in range(0, len(entries), self.batch_size):
            chunk = entries[start : start + self.batch_size]
            results = await self._send_all(chunk)
            errors = [r for r in results if isinstance(r, BaseException)]
            if errors:
                raise RuntimeError("republishing a dead relay's backlog failed") from errors[0]
        log.info("outbox backlog of a stopped relay republished", extra={"owner": cp["owner"], "events": len(entries)})
        return len(entries)
