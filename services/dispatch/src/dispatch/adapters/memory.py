"""In-memory fakes of the ports and the unit of work, shipped with the code for unit tests and benchmarks.

A write stores the document and hands its events to a `servicekit.uow.MemoryOutbox` (what the
relay would publish), in commit order; a refused write keeps neither.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from dispatch.domain.model import DONE_STATES, HistoryEntry, State, WorkOrder
from dispatch.ports import DispatchUnitOfWork, DuplicateOrder, Marks, StaleHandover, StaleOrder
from hotline_contracts import Envelope
from servicekit.uow import MemoryOutbox

ACTIVE_CREW_STATES = {"dispatched", "accepted", "on_site", "reassigned", "suspended"}


class MemoryOrders:
    def __init__(self, outbox: MemoryOutbox) -> None:
        self.orders: dict[tuple[str, str], WorkOrder] = {}
        self.outbox = outbox

    async def get(self, tenant: str, ticket_id: str) -> WorkOrder | None:
        order = self.orders.get((tenant, ticket_id))
        return copy.deepcopy(order) if order else None

    async def insert(self, order: WorkOrder, events: Sequence[Envelope[Any]]) -> None:
        if (order.tenant, order.ticket_id) in self.orders:
            raise DuplicateOrder(order.ticket_id)
        self.orders[(order.tenant, order.ticket_id)] = copy.deepcopy(order)
        self.outbox.commit(events)

    async def save(self, order: WorkOrder, new_history: list[HistoryEntry], events: Sequence[Envelope[Any]]) -> None:
        stored = self.orders[(order.tenant, order.ticket_id)]
        if stored.version != order.version:
            raise StaleOrder(order.ticket_id)
        order.version += 1
        self.orders[(order.tenant, order.ticket_id)] = copy.deepcopy(order)
        self.outbox.commit(events)

    async def list_open(self, tenant: str) -> list[WorkOrder]:
        return [copy.deepcopy(o) for (t, _), o in self.orders.items() if t == tenant and o.state not in DONE_STATES]

    async def save_marks(self, tenant: str, marks: Marks, events: dict[str, list[Envelope[Any]]]) -> None:
        for ticket_id, changed in marks.items():
            self.orders[(tenant, ticket_id)].marks.update(copy.deepcopy(changed))
            self.outbox.commit(events.get(ticket_id, []))

    async def awaiting(self, tenant: str, outage_ids: list[str]) -> list[WorkOrder]:
        return [copy.deepcopy(o) for (t, _), o in self.orders.items()
                if t == tenant and o.state == State.AWAITING_OUTAGE and o.outage_id in outage_ids]

    async def save_settled(self, tenant: str, settled: list[tuple[WorkOrder, list[HistoryEntry]]],
                           events: dict[str, list[Envelope[Any]]]) -> list[str]:
        stored = []
        for order, _ in settled:
            current = self.orders[(tenant, order.ticket_id)]
            if current.version != order.version or current.state != State.AWAITING_OUTAGE:
                continue
            order.version += 1
            self.orders[(tenant, order.ticket_id)] = copy.deepcopy(order)
            self.outbox.commit(events.get(order.ticket_id, []))
            stored.append(order.ticket_id)
        return stored

    async def workload(self, tenant: str, crew_codes: list[str]) -> dict[str, int]:
        counts = dict.fromkeys(crew_codes, 0)
        for (t, _), o in self.orders.items():
            if t == tenant and o.crew_code in counts and o.state in ACTIVE_CREW_STATES:
                counts[o.crew_code] += 1
        return counts

    async def for_handover(self, tenant: str, starts: datetime, ends: datetime, agents: list[str]) -> list[WorkOrder]:
        return [
            copy.deepcopy(o) for (t, _), o in self.orders.items()
            if t == tenant and o.state not in DONE_STATES and (o.first_contact_owner in agents or starts <= o.created_at < ends)
        ]


class MemoryCrews:
    """Crews per station and their roster rows ({crew_code, station_code, starts_at, ends_at})."""

    def __init__(self, crews: list[dict], rosters: list[dict]) -> None:
        self.crews, self.rosters = crews, rosters

    async def on_duty(self, tenant: str, station_code: str, at: datetime) -> list[str]:
        return [r["crew_code"] for r in self.rosters
                if r["tenant"] == tenant and r["station_code"] == station_code and r["starts_at"] <= at < r["ends_at"]]

    async def stations(self, tenant: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for crew in self.crews:
            if crew["tenant"] == tenant:
                out.setdefault(crew["station_code"], []).append(crew["code"])
        return out


class MemoryHandovers:
    def __init__(self, outbox: MemoryOutbox) -> None:
        self.records: dict[tuple[str, str], dict] = {}
        self.outbox = outbox

    async def insert(self, record: dict, events: Sequence[Envelope[Any]]) -> None:
        self.records[(record["tenant"], record["handover_id"])] = copy.deepcopy(record)
        self.outbox.commit(events)

    async def get(self, tenant: str, handover_id: str) -> dict | None:
        record = self.records.get((tenant, handover_id))
        return copy.deepcopy(record) if record else None

    async def update(self, tenant: str, handover_id: str, changes: dict, events: Sequence[Envelope[Any]], *,
                     expect: dict) -> None:
        stored = self.records[(tenant, handover_id)]
        if any(stored.get(k) != v for k, v in expect.items()):
            raise StaleHandover(handover_id)
        stored.update(copy.deepcopy(changes))
        self.outbox.commit(events)


class MemoryUnitOfWork(DispatchUnitOfWork):
    """The unit of work over the in-memory repositories; committed events land in their MemoryOutbox."""
