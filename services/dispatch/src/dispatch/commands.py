"""Typed commands (命令) the dispatch use cases take: one frozen dataclass per action.

Entrypoints build them: consumers from an event's data, HTTP routes from the body and the caller.
No contract model or envelope reaches a use case. An action on an order names the transition it
asks for (`action`, a key of `domain.transitions.TRANSITIONS`, or `audit`, decided into pass/reject).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar


@dataclass(frozen=True, kw_only=True)
class TakeNewTicket:
    """受理→派单→派工: a ticket intake created, to be routed, crewed and stored as a work order.

    `event_id` is the TicketCreated it came from (a redelivery finds its order stored); `published_at`
    when it was published (the dispatch latency metric). `first_contact_resolved`: closed at intake (首问办结),
    nothing for dispatch to do.
    """

    ticket_id: str
    business_type: str
    responsible_unit: str
    first_contact_owner: str
    accepted_at: datetime
    summary: str = ""
    sub_type: str | None = None
    channel: str = "hotline"
    referred_from: str | None = None
    account_no: str | None = None
    area_class: str | None = None
    important: bool = False
    urgency: str = "normal"
    station_code: str | None = None
    outage_id: str | None = None
    event_id: str | None = None
    published_at: datetime | None = None
    first_contact_resolved: bool = False


@dataclass(frozen=True, kw_only=True)
class OrderAction:
    """One action on an existing work order, by `actor`, at `at` (now when not given)."""

    action: ClassVar[str]
    ticket_id: str
    actor: str
    at: datetime | None = None
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class CrewStep(OrderAction):
    """A step the field crew reports; `crew_code` must be the order's crew when both are known."""

    crew_code: str | None = None


@dataclass(frozen=True, kw_only=True)
class AcceptByCrew(CrewStep):
    """班组接单."""

    action: ClassVar[str] = "accept"


@dataclass(frozen=True, kw_only=True)
class Depart(CrewStep):
    """班组出发."""

    action: ClassVar[str] = "depart"


@dataclass(frozen=True, kw_only=True)
class Arrive(CrewStep):
    """到达现场."""

    action: ClassVar[str] = "arrive"


@dataclass(frozen=True, kw_only=True)
class Complete(CrewStep):
    """抢修完成回单: `reply` is the repair report as stored on the order (kind, cause, fault class, times ...)."""

    action: ClassVar[str] = "complete"
    reply: Mapping[str, Any]


@dataclass(frozen=True, kw_only=True)
class Reply(OrderAction):
    """回单: the unit's reply as stored on the order (kind, outcome, content, customer_contacted_at ...)."""

    action: ClassVar[str] = "reply"
    reply: Mapping[str, Any]


@dataclass(frozen=True, kw_only=True)
class AuditReply(OrderAction):
    """回单审核: the automatic checks run; the auditor's own `reasons` are added to theirs."""

    action: ClassVar[str] = "audit"
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Return(OrderAction):
    """退单: `reason_code` one of the contract's ReturnReason values (anything else is published as other)."""

    action: ClassVar[str] = "return"
    reason_code: str


@dataclass(frozen=True, kw_only=True)
class Transfer(OrderAction):
    """转派 to another unit."""

    action: ClassVar[str] = "transfer"
    to_unit: str


@dataclass(frozen=True, kw_only=True)
class Reassign(OrderAction):
    """改派 to another crew."""

    action: ClassVar[str] = "reassign"
    crew_code: str


@dataclass(frozen=True, kw_only=True)
class Suspend(OrderAction):
    """挂起: `reason_code` must be one of the tenant's pause reasons (warnings table)."""

    action: ClassVar[str] = "suspend"
    reason_code: str


@dataclass(frozen=True, kw_only=True)
class Resume(OrderAction):
    """解挂: back to the state the order was suspended from."""

    action: ClassVar[str] = "resume"


@dataclass(frozen=True, kw_only=True)
class StartReturnVisit(OrderAction):
    """转回访."""

    action: ClassVar[str] = "return_visit"


@dataclass(frozen=True, kw_only=True)
class Close(OrderAction):
    """办结: `resolution` a contract Resolution value."""

    action: ClassVar[str] = "close"
    resolution: str = "resolved"


@dataclass(frozen=True, kw_only=True)
class Archive(OrderAction):
    """归档."""

    action: ClassVar[str] = "archive"


@dataclass(frozen=True, kw_only=True)
class Reopen(OrderAction):
    """重启: `cause` a contract ReopenCause value."""

    action: ClassVar[str] = "reopen"
    cause: str = "customer_called_back"


@dataclass(frozen=True, kw_only=True)
class CloseAfterVisit(Close):
    """办结 on survey's word: the visit was made (满意/基本满意/联系不上) or will not be (不回访).

    The only close of an order that has passed audit: a manual close then would skip the return visit.
    """


@dataclass(frozen=True, kw_only=True)
class VisitDecided:
    """回访安排: survey will visit the order (`visited`), or will not (then it closes at once)."""

    ticket_id: str
    visited: bool
    at: datetime
    actor: str = "system:survey"


@dataclass(frozen=True, kw_only=True)
class VisitDone:
    """回访完成: `result` satisfied / fairly_satisfied / unreachable closes the order; unsatisfied reopens it."""

    ticket_id: str
    result: str
    actor: str
    at: datetime
    visit_id: str | None = None
    comment: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordCustomerContact:
    """联系客户: the unit or crew reached the customer at `at`; stops the first-contact clock."""

    ticket_id: str
    actor: str
    at: datetime | None = None  # now when not given
    channel: str = "phone"
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class Urge:
    """人工催办: remind the owning unit."""

    ticket_id: str
    actor: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class Supervise:
    """督办: raised at `actor_unit` when it is above the owner, else at the owner's parent."""

    ticket_id: str
    actor: str
    actor_unit: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ScanTimeLimits:
    """时限监控: evaluate every open order of the tenant now; raise warnings, breaches, urges, supervisions."""


@dataclass(frozen=True, kw_only=True)
class BuildHandover:
    """交接班: the record of the leaving shift's unresolved orders across `scope` (the centre and below)."""

    leaving_shift: str
    arriving_shift: str
    actor: str
    scope: tuple[str, ...]
    agents: tuple[str, ...] = ()
    important_matters: str | None = None


@dataclass(frozen=True, kw_only=True)
class ConfirmHandover:
    """交接确认 of one side; the arriving side adds its checks ({ticket_id, note}) and comments."""

    handover_id: str
    side: str  # "leaving" | "arriving"
    actor: str
    comments: tuple[str, ...] = ()
    checks: tuple[Mapping[str, Any], ...] = field(default=())


ORDER_ACTIONS: dict[str, type[OrderAction]] = {
    cls.action: cls
    for cls in (AcceptByCrew, Depart, Arrive, Complete, Reply, AuditReply, Return, Transfer, Reassign, Suspend, Resume,
                StartReturnVisit, Close, Archive, Reopen)
}


@dataclass(frozen=True, kw_only=True)
class SettleOutage:
    """停电结束: an outage was restored or cancelled; every order waiting on it is closed or dispatched.

    `event_id` is the outage event's id (an order it already settled is recognised on redelivery).
    """

    outage_id: str
    end: str  # dispatch.domain.outage_wait.OutageEnd value
    at: datetime
    actor: str
    reason: str = ""
    event_id: str | None = None
