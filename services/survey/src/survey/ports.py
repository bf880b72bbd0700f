"""What the use cases need from storage, the broker, metrics and the clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from hotline_contracts import Envelope
from survey.domain.model import ReturnVisit, RuleTable

Publish = Callable[[Envelope[Any]], Awaitable[None]]
Clock = Callable[[], datetime]


class VisitRepo(Protocol):
    async def add(self, tenant: str, visit: ReturnVisit) -> bool:
        """False when a visit with that id already exists."""

    async def get(self, tenant: str, visit_id: str) -> ReturnVisit | None: ...

    async def by_source_event(self, tenant: str, event_id: str) -> ReturnVisit | None: ...

    async def count_for_ticket(self, tenant: str, ticket_id: str) -> int: ...

    async def complete(self, tenant: str, visit: ReturnVisit) -> bool:
        """Store the result only if the visit is still scheduled; False when someone else completed it."""

    async def list(self, tenant: str, *, state: str | None, limit: int) -> list[ReturnVisit]: ...

    async def result_counts(self, tenant: str) -> dict[str, int]: ...


class RuleStore(Protocol):
    async def active(self, tenant: str, at: datetime) -> RuleTable | None: ...

    async def save(self, table: RuleTable) -> RuleTable:
        """Store a new version effective from `table.effective_from`; the previous one ends there."""

    async def ensure_default(self, table: RuleTable) -> None: ...


class SurveyMetricsPort(Protocol):
    def visit_completed(self, tenant: str, result: str) -> None: ...

    def satisfaction(self, tenant: str, ratio: float | None) -> None: ...
