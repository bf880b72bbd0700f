"""In-memory fakes of the ports and the unit of work, for unit tests (内存实现); `fake_bootstrap` wires them."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

from hotline_contracts import Envelope
from servicekit.uow import MemoryOutbox
from survey.domain.model import ReturnVisit
from survey.ports import AlreadyCompleted, VisitExists, VisitUnitOfWork


class MemoryVisits:
    """Stored visits (the read-only port), shared by every `MemoryUnitOfWork` of one fake bootstrap."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], ReturnVisit] = {}

    async def get(self, tenant: str, visit_id: str) -> ReturnVisit | None:
        row = self.rows.get((tenant, visit_id))
        return dataclasses.replace(row) if row else None

    async def list(self, tenant: str, *, state: str | None, limit: int) -> list[ReturnVisit]:
        rows = [v for (t, _), v in self.rows.items() if t == tenant and (state is None or v.state == state)]
        return sorted(rows, key=lambda v: v.due_at)[:limit]

    async def result_counts(self, tenant: str) -> dict[str, int]:
        return dict(Counter(v.result for (t, _), v in self.rows.items() if t == tenant and v.result))


class _TenantVisits:
    def __init__(self, store: MemoryVisits, tenant: str) -> None:
        self.store, self.tenant = store, tenant

    async def get(self, visit_id: str) -> ReturnVisit | None:
        return await self.store.get(self.tenant, visit_id)

    async def by_source_event(self, event_id: str) -> ReturnVisit | None:
        found = (v for (t, _), v in self.store.rows.items() if t == self.tenant and v.source_event_id == event_id)
        return next((dataclasses.replace(v) for v in found), None)

    async def count_for_ticket(self, ticket_id: str) -> int:
        return sum(1 for (t, _), v in self.store.rows.items() if t == self.tenant and v.ticket_id == ticket_id)


class MemoryUnitOfWork(VisitUnitOfWork):
    """Commits into `MemoryVisits` and hands the events to a `MemoryOutbox`, as MongoDB and the relay would."""

    def __init__(self, tenant: str, store: MemoryVisits, outbox: MemoryOutbox) -> None:
        super().__init__(tenant)
        self.store, self.outbox = store, outbox
        self.visits = _TenantVisits(store, tenant)

    async def _insert(self, visit: ReturnVisit, events: list[Envelope[Any]]) -> None:
        if (self.tenant, visit.visit_id) in self.store.rows:
            raise VisitExists(visit.visit_id)
        self.store.rows[(self.tenant, visit.visit_id)] = dataclasses.replace(visit)
        self.outbox.commit(events)

    async def _complete(self, visit: ReturnVisit, events: list[Envelope[Any]]) -> None:
        current = self.store.rows.get((self.tenant, visit.visit_id))
        if current is None or current.state != "scheduled":
            raise AlreadyCompleted(visit.visit_id)
        self.store.rows[(self.tenant, visit.visit_id)] = dataclasses.replace(visit)
        self.outbox.commit(events)


class RecordingMetrics:
    def __init__(self) -> None:
        self.completed: list[tuple[str, str]] = []
        self.ratios: dict[str, float | None] = {}

    def visit_completed(self, tenant: str, result: str) -> None:
        self.completed.append((tenant, result))

    def satisfaction(self, tenant: str, ratio: float | None) -> None:
        self.ratios[tenant] = ratio
