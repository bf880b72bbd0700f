"""Typed commands (命令) the use cases take: one per action, built by the HTTP routes, the consumer and the scheduler."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from outage_notice.domain.outage import Scope


@dataclass(frozen=True)
class ReportOutage:
    """停电信息报送 (from HTTP or outage.reported.v1); published in the same write unless `publish` is false."""

    outage_id: str
    outage_type: str
    scope: Scope
    planned_start: datetime
    planned_end: datetime | None
    cause: str
    reporting_unit: str
    reported_by: str
    reported_at: datetime | None = None
    publish: bool = True


@dataclass(frozen=True)
class PublishOutage:
    """发布: announce a reported outage and queue its customers' notices."""

    outage_id: str
    by: str


@dataclass(frozen=True)
class ChangeOutage:
    """停电信息变更: new values of the changed fields, who and why."""

    outage_id: str
    values: dict[str, Any]
    reason: str
    by: str


@dataclass(frozen=True)
class StartOutage:
    """停电开始: the power is cut (`at` defaults to now)."""

    outage_id: str
    by: str
    at: datetime | None = None


@dataclass(frozen=True)
class RestoreOutage:
    """送电: the power is back (`at` defaults to now)."""

    outage_id: str
    by: str
    at: datetime | None = None
    remark: str | None = None


@dataclass(frozen=True)
class CancelOutage:
    """停电取消: the outage will not happen; a reason is required."""

    outage_id: str
    by: str
    reason: str


@dataclass(frozen=True)
class QueueRenotices:
    """再次提醒: queue the re-notices that are due now, once per outage (the scheduler's tick)."""


@dataclass(frozen=True)
class DeliverDueNotices:
    """Send up to `limit` notices whose time has come, and announce each result."""

    limit: int = 500


@dataclass(frozen=True)
class RecordLinkedCall:
    """来电关联停电: a repair call intake linked to the outage (from ticket.linked_to_outage.v1); counted once per ticket."""

    outage_id: str
    ticket_id: str
    account_no: str | None
    at: datetime
