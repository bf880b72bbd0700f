"""What the survey use cases are asked to do (命令): one frozen dataclass per action, built by the entrypoints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ScheduleVisit:
    """安排回访: 95598 passed an order's reply (reply.audited); survey visits it or says it will not.

    The order waits in dispatch until it hears which (return_visit.scheduled / return_visit.skipped).
    """

    ticket_id: str
    business_type: str
    responsible_unit: str
    answered_at: datetime  # when the reply passed audit: the visit's due time counts from here
    source_event_id: str  # the audit's event id: a redelivery finds the decision it already made
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
