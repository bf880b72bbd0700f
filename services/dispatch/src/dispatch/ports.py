"""What the dispatch use cases need from the outside world (implemented in adapters/)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from dispatch.domain.model import HistoryEntry, WorkOrder

Publish = Callable[[Any], Awaitable[None]]  # takes an Envelope
Clock = Callable[[], datetime]


class DuplicateOrder(Exception):
    """The ticket already has a work order in this tenant."""


class StaleOrder(Exception):
    """Someone else changed the order since it was read."""


class OrderRepository(Protocol):
    """调度工单仓储 (collection `work_orders`)."""

    async def get(self, tenant: str, ticket_id: str) -> WorkOrder | None: ...
    async def insert(self, order: WorkOrder) -> None: ...
    async def save(self, order: WorkOrder, new_history: list[HistoryEntry]) -> None: ...
    async def list_open(self, tenant: str) -> list[WorkOrder]: ...
    async def save_marks(self, tenant: str, marks: dict[str, dict[str, dict]]) -> None: ...
    async def workload(self, tenant: str, crew_codes: list[str]) -> dict[str, int]: ...
    async def for_handover(self, tenant: str, starts: datetime, ends: datetime, agents: list[str]) -> list[WorkOrder]: ...


class RuleStore(Protocol):
    """Effective-dated rule tables per tenant (`rules_<name>`)."""

    async def active(self, tenant: str, name: str, at: datetime) -> list[dict]: ...
    async def current(self, tenant: str, name: str, at: datetime) -> dict | None: ...
    async def save(self, tenant: str, name: str, rows: list[dict], *, effective_from: datetime, by: str) -> dict: ...


class CrewDirectory(Protocol):
    """Crews and rosters (seeded `crews`, `crew_rosters`)."""

    async def on_duty(self, tenant: str, station_code: str, at: datetime) -> list[str]: ...
    async def stations(self, tenant: str) -> dict[str, list[str]]: ...


class HandoverRepository(Protocol):
    """交接班记录 (collection `shift_handovers`)."""

    async def insert(self, record: dict) -> None: ...
    async def get(self, tenant: str, handover_id: str) -> dict | None: ...
    async def update(self, tenant: str, handover_id: str, changes: dict) -> None: ...
