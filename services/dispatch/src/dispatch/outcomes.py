"""Per-action checks before a transition and the specific events after it (transfer, return, close ...)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dispatch.commands import (
    AuditReply,
    Close,
    CloseAfterVisit,
    Complete,
    CrewStep,
    OrderAction,
    Reassign,
    Reopen,
    Reply,
    Return,
    Suspend,
    Transfer,
)
from dispatch.crew_membership import check_crew
from dispatch.domain.clocks import evaluate, within_limits
from dispatch.domain.model import HistoryEntry, WorkOrder
from dispatch.domain.reply_audit import audit_reply
from dispatch.separation import refuse_close_before_visit, refuse_own_reply, require_repair_facts
from hotline_contracts.events.dispatch import CrewAssignedV1, ReplyAuditedV1
from hotline_contracts.events.ticket import (
    ReopenCause,
    Resolution,
    ReturnReason,
    TicketClosedV1,
    TicketReopenedV1,
    TicketReturnedV1,
    TicketTransferredV1,
)
from servicekit.errors import FieldError, invalid

if TYPE_CHECKING:
    from dispatch.deps import Deps


@dataclass(frozen=True)
class Step:
    """What `prepare` decided: the transition to apply and what its events need to know."""

    action: str
    reason_code: str | None = None
    from_unit: str | None = None  # transfer: the unit the order left
    within_time_limit: bool | None = None  # close: every clock met


def require(value: Any, loc: str, zh: str, en: str) -> None:
    if not value:
        raise invalid("请求参数校验失败", "request validation failed", fields=[FieldError(loc, zh, en)])


def _take_reply(order: WorkOrder, reply: Any) -> None:
    require(reply, "body", "缺少回单内容", "reply content required")
    if order.business_type == "fault_repair":
        require_repair_facts(reply)
    order.reply = dict(reply)
    contacted = reply.get("customer_contacted_at")
    if contacted:
        when = datetime.fromisoformat(contacted) if isinstance(contacted, str) else contacted
        order.milestones.setdefault("customer_contacted", when)


async def prepare(order: WorkOrder, cmd: OrderAction, at: datetime, deps: Deps) -> Step:
    """Validate the command against the order and fill in what the transition records."""
    if isinstance(cmd, CrewStep):
        await check_crew(order, cmd, deps)
    if isinstance(cmd, Complete | Reply):
        _take_reply(order, cmd.reply)
    elif isinstance(cmd, Transfer):
        require(cmd.to_unit and cmd.to_unit != order.owner_unit, "body.to_unit", "须转派到其他单位", "transfer to another unit")
        from_unit, order.owner_unit, order.crew_code = order.owner_unit, cmd.to_unit, None
        return Step(cmd.action, from_unit=from_unit)
    elif isinstance(cmd, Reassign):
        require(cmd.crew_code and cmd.crew_code != order.crew_code, "body.crew_code", "须改派给其他班组", "choose another crew")
        order.crew_code = cmd.crew_code
    elif isinstance(cmd, Suspend):
        allowed = (await deps.warning_table(order.tenant, at)).get("pause_reasons", [])
        require(cmd.reason_code in allowed, "body.reason_code", f"挂起原因须为：{'、'.join(allowed)}",
                f"reason_code must be one of: {', '.join(allowed)}")
        return Step(cmd.action, reason_code=cmd.reason_code)
    elif isinstance(cmd, Return):
        return Step(cmd.action, reason_code=cmd.reason_code)
    elif isinstance(cmd, AuditReply):
        refuse_own_reply(order, cmd.actor)
        fit = {r["sub_type"]: r["level1"] for r in await deps.rules.active(order.tenant, "reply_audit", at)}
        order.audit_reasons = audit_reply(order, at, fit) + list(cmd.reasons)
        return Step("audit_reject" if order.audit_reasons else "audit_pass")
    elif isinstance(cmd, Close):
        if not isinstance(cmd, CloseAfterVisit):
            refuse_close_before_visit(order)
        statuses = evaluate(order, await deps.clock_rules(order.tenant, at), await deps.calendar(order.tenant, at), at)
        return Step(cmd.action, within_time_limit=within_limits(statuses, order))
    return Step(cmd.action)


def events_for(order: WorkOrder, cmd: OrderAction, step: Step, entry: HistoryEntry) -> list[Any]:
    """The specific event an action publishes besides ticket.state_changed."""
    tid, at, by = order.ticket_id, entry.at, cmd.actor
    reason = (cmd.reason or "")[:200]
    if isinstance(cmd, Transfer):
        return [TicketTransferredV1(ticket_id=tid, from_unit=step.from_unit, to_unit=order.owner_unit, by=by,
                                    reason=reason or "转派", first_contact_owner=order.first_contact_owner, at=at)]
    if isinstance(cmd, Return):
        code = cmd.reason_code if cmd.reason_code in ReturnReason.__members__.values() else ReturnReason.OTHER
        return [TicketReturnedV1(ticket_id=tid, returned_by_unit=order.owner_unit, reason_code=code,
                                 reason=reason or "退单", by=by, at=at)]
    if isinstance(cmd, Reassign):
        return [CrewAssignedV1(ticket_id=tid, crew_code=order.crew_code, handler=by, at=at, assigned_by=by,
                               station_code=order.station_code)]
    if isinstance(cmd, AuditReply):
        reply_id = str((order.reply or {}).get("reply_id") or f"{tid}-reply")[:64]
        return [ReplyAuditedV1(ticket_id=tid, reply_id=reply_id, passed=step.action == "audit_pass",
                               reasons=[r[:200] for r in order.audit_reasons], auditor=by, at=at,
                               business_type=order.business_type, responsible_unit=order.owner_unit)]
    if isinstance(cmd, Close):
        return [TicketClosedV1(ticket_id=tid, business_type=order.business_type, responsible_unit=order.owner_unit,
                               resolution=cmd.resolution or Resolution.RESOLVED, within_time_limit=step.within_time_limit,
                               closed_by=by, at=at)]
    if isinstance(cmd, Reopen):
        return [TicketReopenedV1(ticket_id=tid, cause=cmd.cause or ReopenCause.CUSTOMER_CALLED_BACK,
                                 reason=reason or "重启", by=by, at=at)]
    return []
