"""What the analytics use cases are asked to do (命令): one frozen dataclass per action, built by the entrypoints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from servicekit.auth import Principal

FactKind = Literal["created", "closed", "reopened", "repeat_contact", "linked_to_outage"]


@dataclass(frozen=True)
class CountFact:
    """计入统计: one step of an order's life (created, closed, reopened, called again, linked to an outage).

    `business_type` is None when the event does not carry it: the order's type, recorded at creation, counts.
    The fields after it are those the export lists (created) or updates (closed).
    """

    kind: FactKind
    ticket_id: str
    at: datetime
    business_type: str | None = None
    channel: str | None = None
    account_no: str | None = None
    responsible_unit: str | None = None
    summary: str | None = None
    resolution: str | None = None
    within_time_limit: bool | None = None
    first_contact_resolved: bool | None = None


@dataclass(frozen=True)
class SummariseUnit:
    """单位统计: the caller asks for a unit's totals over its subtree, an inclusive range of local days."""

    principal: Principal
    start: date
    end: date


@dataclass(frozen=True)
class ExportOrders:
    """导出工单明细: the caller asks for the subtree's orders accepted in a range, masked, as CSV."""

    principal: Principal
    start: date
    end: date
