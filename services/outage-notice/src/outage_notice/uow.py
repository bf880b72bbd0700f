"""The outage-notice unit of work (工作单元): what one use case changes, stored with its events on commit.

A use case reads and decides; its writes are tracked here and its events recorded (`uow.record`),
and nothing reaches the database before `commit`. Committing writes, in this order:

1. each changed outage with the events about it (`subject` = its id) in the same write: one insert
   for a new outage (also when it is published at once), else one conditional update on the
   revision the use case read (a concurrent change makes it 409 `stale_outage` and stores nothing);
2. that outage's revisions;
3. the notices planned by the use case (after the outage they announce is stored; the queue's
   ledger drops what is already queued), then the re-notice marks;
4. each finished notice batch with the results of its notices (`notification.sent.v1`, `subject`
   = the notification id) in the same write.

An event about anything else is a programming error and fails the commit before any write. The
storage subclasses (adapters/mongo.py, adapters/memory.py) implement the writes.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hotline_contracts import Envelope
from outage_notice.domain.notices import Notice, notification_id
from outage_notice.domain.outage import Outage, Revision
from outage_notice.ports import OutageReader
from servicekit.errors import conflict
from servicekit.uow import Events, UnitOfWork

Result = tuple[Notice, str, str | None]  # a notice, its delivery result (sent / failed / suppressed), detail


def stale_outage() -> Exception:
    return conflict("停电信息已被他人修改，请刷新后重试", "outage changed concurrently, reload and retry", code="stale_outage")


def duplicate_outage() -> Exception:
    return conflict("停电信息编号已存在", "outage id already exists", code="duplicate_outage")


@dataclass
class OutageWrite:
    """One outage's change in a unit of work: its final state and every revision that led there."""

    outage: Outage
    revisions: list[Revision]
    expected_seq: int | None  # the stored revision it was read at; None for a new outage (an insert)


class OutageChanges:
    """停电信息 of one unit of work: reads see the tracked changes, writes wait for `commit`."""

    def __init__(self, tenant: str, reader: OutageReader) -> None:
        self.tenant = tenant
        self.reader = reader
        self.writes: dict[str, OutageWrite] = {}
        self.renotices_done: list[str] = []

    async def get(self, outage_id: str) -> Outage | None:
        write = self.writes.get(outage_id)
        return write.outage if write else await self.reader.get(self.tenant, outage_id)

    def add(self, outage: Outage, revision: Revision) -> None:
        if outage.outage_id in self.writes:
            raise duplicate_outage()
        self.writes[outage.outage_id] = OutageWrite(outage, [revision], None)

    def save(self, outage: Outage, revision: Revision, *, expected_seq: int) -> None:
        write = self.writes.get(outage.outage_id)
        if write is None:
            self.writes[outage.outage_id] = OutageWrite(outage, [revision], expected_seq)
            return
        if write.outage.seq != expected_seq:
            raise stale_outage()
        write.outage = outage
        write.revisions.append(revision)

    def mark_renotice_done(self, outage_id: str) -> None:
        self.renotices_done.append(outage_id)


@dataclass
class NoticeChanges:
    """通知 of one unit of work: notices to queue and claimed notices finished; `queued` is known after commit."""

    planned: list[Notice] = field(default_factory=list)
    finished: list[Result] = field(default_factory=list)
    finished_at: datetime | None = None
    queued: int = 0  # notices newly queued by the commit (the ledger drops ones already queued)

    def enqueue(self, notices: list[Notice]) -> None:
        self.planned.extend(notices)

    def finish(self, results: list[Result], at: datetime) -> None:
        self.finished.extend(results)
        self.finished_at = at

    def batch_of(self) -> dict[str, str]:
        """notification id → the batch its notice was claimed from (the document its result event goes on)."""
        return {notification_id(n): n.batch_id or "" for n, _, _ in self.finished}


class OutageUnitOfWork(UnitOfWork):
    """One use case's outage changes, notices and delivery results for one tenant (see the module docstring)."""

    source = "/hotline/outage-notice"

    def __init__(self, tenant: str, reader: OutageReader) -> None:
        super().__init__(tenant)
        self.outages = OutageChanges(tenant, reader)
        self.notices = NoticeChanges()

    @abstractmethod
    async def claim_due(self, now: datetime, limit: int) -> list[Notice]:
        """Claim whole batches of due notices now (a claim is not undone by a rollback: it is their lease)."""

    async def _commit(self, events: Events) -> None:
        by_outage, by_batch = self._route(events)
        for write in self.outages.writes.values():
            await self._write_outage(write, by_outage.get(write.outage.outage_id, []))
        if self.notices.planned:
            self.notices.queued = await self._enqueue(self.notices.planned)
        for outage_id in self.outages.renotices_done:
            await self._mark_renotice_done(outage_id)
        if self.notices.finished:
            assert self.notices.finished_at is not None
            await self._finish(self.notices.finished, self.notices.finished_at, by_batch)

    def _rollback(self) -> None:
        self.outages.writes.clear()
        self.outages.renotices_done.clear()
        self.notices = NoticeChanges()

    def _route(self, events: Events) -> tuple[dict[str, Events], dict[str, Events]]:
        """Each event onto the document it is about: an outage by its id, a delivery result by its batch."""
        batches = self.notices.batch_of()
        by_outage: dict[str, list[Envelope[Any]]] = {}
        by_batch: dict[str, list[Envelope[Any]]] = {}
        for event in events:
            subject = event.subject or ""
            if subject in self.outages.writes:
                by_outage.setdefault(subject, []).append(event)
            elif subject in batches:
                by_batch.setdefault(batches[subject], []).append(event)
            else:
                raise ValueError(f"{event.type} about {subject!r}: no document of this unit of work to store it with")
        return by_outage, by_batch

    @abstractmethod
    async def _write_outage(self, write: OutageWrite, events: Events) -> None:
        """Insert or conditionally update the outage with its events in one write, then store its revisions."""

    @abstractmethod
    async def _enqueue(self, notices: list[Notice]) -> int:
        """Queue what is not queued yet; returns how many were new."""

    @abstractmethod
    async def _mark_renotice_done(self, outage_id: str) -> None: ...

    @abstractmethod
    async def _finish(self, results: list[Result], at: datetime, events: dict[str, Events]) -> None:
        """Store each batch's results together with its events (`events` by batch id)."""
