"""What the survey use cases are asked to do (命令): one frozen dataclass per action, built by the entrypoints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ScheduleVisit:
    """安排回访: an order was closed (ticket.closed); its return visit is due per the tenant's rule."""

    ticket_id: str
    business_type: str
    responsible_unit: str
    closed_at: datetime
    source_event_id: str  # the closure's event id: a redelivery finds the visit it already made
    correlation_id: str | None = None


@dataclass(frozen=True)
class RecordResult:
    """登记回访结果: what the agent heard from the customer."""

    visit_id: str
    result: str
    by: str
    method: str = "phone"
    attempts: int = 1
    comment: str | None = None
