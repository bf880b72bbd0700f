"""The work order as dispatch keeps it (工单), with its append-only history and clock pauses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class State(StrEnum):
    """调度工单状态: the finer states dispatch tracks (mapped onto the shared TicketState when published)."""

    CREATED = "created"  # 已受理
    DISPATCHED = "dispatched"  # 已派单
    ACCEPTED = "accepted"  # 班组已接单
    ON_SITE = "on_site"  # 已到达现场
    REPAIRED = "repaired"  # 抢修完成（回单）
    REPLIED = "replied"  # 已回单
    REPLY_AUDITED = "reply_audited"  # 回单审核通过
    RETURN_VISIT = "return_visit"  # 待回访
    CLOSED = "closed"  # 已办结
    ARCHIVED = "archived"  # 已归档
    RETURNED = "returned"  # 已退单
    TRANSFERRED = "transferred"  # 已转派
    REASSIGNED = "reassigned"  # 已改派班组
    SUSPENDED = "suspended"  # 已挂起
    REOPENED = "reopened"  # 已重启
    AWAITING_OUTAGE = "awaiting_outage"  # 等待停电恢复: linked to a known outage, no crew, clocks paused


DONE_STATES = frozenset({State.CLOSED, State.ARCHIVED})


@dataclass(frozen=True)
class HistoryEntry:
    """流转记录: one transition, never edited (who, when, from, to, why)."""

    at: datetime
    actor: str
    action: str
    from_state: str
    to_state: str
    reason: str | None = None


@dataclass
class Pause:
    """时限暂停: a named pause (挂起) of the order's clocks, open until `ended_at`."""

    started_at: datetime
    reason_code: str
    reason: str
    actor: str
    ended_at: datetime | None = None


@dataclass
class WorkOrder:
    """调度工单: one ticket as dispatch routes, assigns, times and audits it."""

    tenant: str
    ticket_id: str
    business_type: str
    created_at: datetime
    responsible_unit: str
    first_contact_owner: str
    summary: str = ""
    sub_type: str | None = None
    channel: str = "hotline"
    referred_from: str | None = None  # 转办来源 (12398 / 12345 / other): complaint reply limits match it
    account_no: str | None = None
    area_class: str | None = None
    important: bool = False
    urgency: str = "normal"
    station_code: str | None = None
    outage_id: str | None = None
    state: State = State.CREATED
    owner_unit: str = ""
    crew_code: str | None = None
    routing_rule_id: str | None = None
    suspended_from: str | None = None
    milestones: dict[str, datetime] = field(default_factory=dict)
    pauses: list[Pause] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    marks: dict[str, dict[str, int | bool]] = field(default_factory=dict)  # clock → {"level", "breached"}
    reply: dict[str, Any] | None = None
    audit_reasons: list[str] = field(default_factory=list)
    version: int = 0
    source_event_id: str | None = None  # the TicketCreated it was opened from: a redelivery of it is recognised
    outage_settled_by: str | None = None  # the outage event that closed or released it (recognised on redelivery)

    def __post_init__(self) -> None:
        self.owner_unit = self.owner_unit or self.responsible_unit
        self.milestones.setdefault("created", self.created_at)

    @property
    def is_open(self) -> bool:
        return self.state not in DONE_STATES

    @property
    def open_pause(self) -> Pause | None:
        return self.pauses[-1] if self.pauses and self.pauses[-1].ended_at is None else None
