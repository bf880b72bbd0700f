"""In-memory fakes of the ports, for unit tests (内存实现)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import datetime

from survey.domain.model import ReturnVisit, RuleTable


class MemoryVisits:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], ReturnVisit] = {}

    async def add(self, tenant: str, visit: ReturnVisit) -> bool:
        if (tenant, visit.visit_id) in self.rows:
            return False
        self.rows[(tenant, visit.visit_id)] = dataclasses.replace(visit)
        return True

    async def get(self, tenant: str, visit_id: str) -> ReturnVisit | None:
        row = self.rows.get((tenant, visit_id))
        return dataclasses.replace(row) if row else None

    async def by_source_event(self, tenant: str, event_id: str) -> ReturnVisit | None:
        return next((v for (t, _), v in self.rows.items() if t == tenant and v.source_event_id == event_id), None)

    async def count_for_ticket(self, tenant: str, ticket_id: str) -> int:
        return sum(1 for (t, _), v in self.rows.items() if t == tenant and v.ticket_id == ticket_id)

    async def complete(self, tenant: str, visit: ReturnVisit) -> bool:
        current = self.rows.get((tenant, visit.visit_id))
        if current is None or current.state != "scheduled":
            return False
        self.rows[(tenant, visit.visit_id)] = dataclasses.replace(visit)
        return True

    async def list(self, tenant: str, *, state: str | None, limit: int) -> list[ReturnVisit]:
        rows = [v for (t, _), v in self.rows.items() if t == tenant and (state is None or v.state == state)]
        return sorted(rows, key=lambda v: v.due_at)[:limit]

    async def result_counts(self, tenant: str) -> dict[str, int]:
        return dict(Counter(v.result for (t, _), v in self.rows.items() if t == tenant and v.result))


class MemoryRules:
    def __init__(self) -> None:
        self.tables: dict[str, list[RuleTable]] = {}

    async def active(self, tenant: str, at: datetime) -> RuleTable | None:
        live = [
            t for t in self.tables.get(tenant, [])
            if t.effective_from <= at and (t.effective_to is None or at < t.effective_to)
        ]
        return max(live, key=lambda t: t.version, default=None)

    async def save(self, table: RuleTable) -> RuleTable:
        versions = self.tables.setdefault(table.tenant, [])
        version = max((t.version for t in versions), default=0) + 1
        versions[:] = [
            dataclasses.replace(t, effective_to=table.effective_from) if t.effective_to is None else t for t in versions
        ]
        saved = dataclasses.replace(table, version=version)
        versions.append(saved)
        return saved

    async def ensure_default(self, table: RuleTable) -> None:
        if not self.tables.get(table.tenant):
            self.tables[table.tenant] = [table]


class RecordingMetrics:
    def __init__(self) -> None:
        self.completed: list[tuple[str, str]] = []
        self.ratios: dict[str, float | None] = {}

    def visit_completed(self, tenant: str, result: str) -> None:
        self.completed.append((tenant, result))

    def satisfaction(self, tenant: str, ratio: float | None) -> None:
        self.ratios[tenant] = ratio
