"""What the dispatch use cases need from the outside world (implemented in adapters/).

Reads go through the read-only ports of `Deps`; every write goes through a unit of work
(`DispatchUnitOfWork`), which stores each changed document together with the events recorded about
it (an order's events have the order's ticket id as subject, a handover's its handover id).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Protocol

from dispatch.domain.crew_sequence import HeldReport
from dispatch.domain.model import HistoryEntry, WorkOrder
from dispatch.domain.outage_wait import OutageOutcome
from hotline_contracts import Envelope
from hotline_contracts.envelope import EventData
from servicekit.uow import Events, UnitOfWork

Clock = Callable[[], datetime]
SOURCE = "/hotline/dispatch"
Marks = dict[str, dict[str, dict]]  # ticket id → {clock: {"level", "breached"}} changed by a scan


class DuplicateOrder(Exception):
    """The ticket already has a work order in this tenant."""


class StaleOrder(Exception):
    """Someone else changed the order since it was read."""


class StaleHandover(Exception):
    """Someone else confirmed or published the handover since it was read."""


class OrderReader(Protocol):
    """调度工单 (collection `work_orders`), read side."""

    async def get(self, tenant: str, ticket_id: str) -> WorkOrder | None: ...
    async def list_open(self, tenant: str) -> list[WorkOrder]: ...
    async def workload(self, tenant: str, crew_codes: list[str]) -> dict[str, int]: ...
    async def for_handover(self, tenant: str, starts: datetime, ends: datetime, agents: list[str]) -> list[WorkOrder]: ...
    async def awaiting(self, tenant: str, outage_ids: list[str]) -> list[WorkOrder]: ...  # waiting on these outages


class OrderRepository(OrderReader, Protocol):
    """The write side: every write stores the events about the order in the same write, or raises."""

    async def insert(self, order: WorkOrder, events: Sequence[Envelope[Any]]) -> None: ...  # or DuplicateOrder
    # Optimistic on the order's version, or StaleOrder.
    async def save(self, order: WorkOrder, new_history: list[HistoryEntry], events: Sequence[Envelope[Any]]) -> None: ...
    async def save_marks(self, tenant: str, marks: Marks, events: dict[str, list[Envelope[Any]]]) -> None: ...
    # Many waiting orders settled by their outage's end, each with its events, in bulk. An order no longer
    # waiting at the version read is skipped with its events (another settlement got there first); returns
    # the ticket ids stored.
    async def save_settled(self, tenant: str, settled: list[tuple[WorkOrder, list[HistoryEntry]]],
                           events: dict[str, list[Envelope[Any]]]) -> list[str]: ...


class OutageOutcomes(Protocol):
    """停电结果 (collection `outage_outcomes`): how known outages ended; the first outcome heard is kept."""

    async def known(self, tenant: str) -> dict[str, OutageOutcome]: ...  # recent ones, cached (read per new ticket)
    async def record(self, tenant: str, outcome: OutageOutcome) -> OutageOutcome: ...  # the one stored


class CrewDirectory(Protocol):
    """Crews and rosters (seeded `crews`, `crew_rosters`)."""

    async def on_duty(self, tenant: str, station_code: str, at: datetime) -> list[str]: ...
    async def stations(self, tenant: str) -> dict[str, list[str]]: ...


class HandoverReader(Protocol):
    """交接班记录 (collection `shift_handovers`), read side."""

    async def get(self, tenant: str, handover_id: str) -> dict | None: ...


class HandoverRepository(HandoverReader, Protocol):
    async def insert(self, record: dict, events: Sequence[Envelope[Any]]) -> None: ...
    async def update(self, tenant: str, handover_id: str, changes: dict, events: Sequence[Envelope[Any]], *,
                     expect: dict) -> None: ...  # StaleHandover when the stored record no longer has `expect`'s values


@cache
def _envelope_class(model: type) -> type:
    return Envelope[model]  # type: ignore[valid-type]


@dataclass
class _Write:
    subjects: frozenset[str]
    run: Callable[[dict[str, list[Envelope[Any]]]], Awaitable[None]]


class DispatchUnitOfWork(UnitOfWork):
    """工作单元: the orders and handovers one use case changes, each stored with the events about it.

    Use cases load through `get_order`/`get_handover`, stage writes (`add_order`, `save_order`,
    `save_marks`, `add_handover`, `update_handover`), `record` events with the document's id as
    subject, and `commit`. Each staged write is one database write carrying its own events; an event
    whose subject no staged write names is a programming error and nothing is written.
    """

    source = SOURCE

    def __init__(self, tenant: str, orders: OrderRepository, handovers: HandoverRepository) -> None:
        super().__init__(tenant)
        self._orders, self._handovers = orders, handovers
        self._writes: list[_Write] = []

    def record(self, data: EventData, *, subject: str, correlation_id: str | None = None) -> Envelope[Any]:
        # pydantic caches `Envelope[Model]` only weakly: unpinned, every GC cycle drops it and the next event
        # rebuilds it (~3 ms of schema generation on the event loop). Holding it here keeps make_event cheap.
        _envelope_class(type(data))
        return super().record(data, subject=subject, correlation_id=correlation_id)

    # -- reads -------------------------------------------------------------------------------
    async def get_order(self, ticket_id: str) -> WorkOrder | None:
        return await self._orders.get(self.tenant, ticket_id)

    async def get_handover(self, handover_id: str) -> dict | None:
        return await self._handovers.get(self.tenant, handover_id)

    # -- staged writes -------------------------------------------------------------------------
    def add_order(self, order: WorkOrder) -> None:
        self._stage([order.ticket_id], lambda ev: self._orders.insert(order, ev.get(order.ticket_id, [])))

    def save_order(self, order: WorkOrder, new_history: list[HistoryEntry]) -> None:
        """Optimistic: committing raises StaleOrder when the order changed since it was read."""
        self._stage([order.ticket_id], lambda ev: self._orders.save(order, new_history, ev.get(order.ticket_id, [])))

    def save_settled(self, settled: list[tuple[WorkOrder, list[HistoryEntry]]]) -> None:
        """Orders settled by their outage's end, in bulk; after commit `settled_ids` names those stored."""
        self.settled_ids: list[str] = []

        async def run(ev: dict[str, list[Envelope[Any]]]) -> None:
            self.settled_ids = await self._orders.save_settled(self.tenant, settled, ev)

        self._stage([o.ticket_id for o, _ in settled], run)

    def save_marks(self, marks: Marks) -> None:
        """Many orders' time-limit marks in one bulk write, each with the events raised about it."""
        self._stage(list(marks), lambda ev: self._orders.save_marks(self.tenant, marks, ev))

    def add_handover(self, record: dict) -> None:
        key = record["handover_id"]
        self._stage([key], lambda ev: self._handovers.insert(record, ev.get(key, [])))

    def update_handover(self, handover_id: str, changes: dict, *, expect: dict) -> None:
        """Committing raises StaleHandover unless the stored record still holds `expect`'s values."""
        self._stage([handover_id], lambda ev: self._handovers.update(
            self.tenant, handover_id, changes, ev.get(handover_id, []), expect=expect))

    def _stage(self, subjects: list[str], run: Callable[[dict[str, list[Envelope[Any]]]], Awaitable[None]]) -> None:
        self._writes.append(_Write(frozenset(subjects), run))

    async def _commit(self, events: Events) -> None:
        by_subject: dict[str, list[Envelope[Any]]] = {}
        for event in events:
            by_subject.setdefault(event.subject or "", []).append(event)
        named = frozenset().union(*(w.subjects for w in self._writes))
        if stray := set(by_subject) - named:
            raise ValueError(f"events about {sorted(stray)} belong to no document this unit of work writes")
        writes, self._writes = self._writes, []
        for write in writes:  # each picks the events of its own documents
            await write.run(by_subject)

    def _rollback(self) -> None:
        self._writes = []


class HeldCrewReports(Protocol):
    """暂存的班组事件 (collection `held_crew_reports`): crew reports read before their predecessor.

    Stored, not kept in memory, so a restart loses none: they are retried when their order next moves
    and by the periodic sweep, which dead-letters those whose deadline passed.
    """

    async def hold(self, report: HeldReport) -> None: ...  # idempotent on the event id
    async def for_order(self, tenant: str, ticket_id: str) -> list[HeldReport]: ...
    async def expired(self, tenant: str, now: datetime) -> list[HeldReport]: ...
    async def release(self, tenant: str, event_id: str) -> None: ...
