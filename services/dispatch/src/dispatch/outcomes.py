"""Per-action checks before a transition and the specific events after it (transfer, return, close ...)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from dispatch.domain.clocks import evaluate, within_limits
from dispatch.domain.model import HistoryEntry, WorkOrder
from dispatch.domain.reply_audit import audit_reply
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
from servicekit.errors import FieldError, conflict, invalid

if TYPE_CHECKING:
    from dispatch.deps import Deps
    from dispatch.service import Command


def require(value: Any, loc: str, zh: str, en: str) -> None:
    if not value:
        raise invalid("请求参数校验失败", "request validation failed", fields=[FieldError(loc, zh, en)])


def _check_crew(order: WorkOrder, cmd: Command) -> None:
    if cmd.crew_code and order.crew_code and cmd.crew_code != order.crew_code:
        raise conflict(f"工单已派给班组 {order.crew_code}", f"order is assigned to crew {order.crew_code}", code="crew_mismatch")
    if cmd.crew_code and order.crew_code is None and cmd.action == "accept":
        order.crew_code = cmd.crew_code


async def prepare(order: WorkOrder, cmd: Command, at: datetime, deps: Deps) -> str:
    """Validate the command against the order and fill in what the transition records; returns the action."""
    action = cmd.action
    if action in ("accept", "depart", "arrive", "complete"):
        _check_crew(order, cmd)
    if action in ("complete", "reply"):
        require(cmd.reply, "body", "缺少回单内容", "reply content required")
        order.reply = cmd.reply
        contacted = (cmd.reply or {}).get("customer_contacted_at")
        if contacted:
            when = datetime.fromisoformat(contacted) if isinstance(contacted, str) else contacted
            order.milestones.setdefault("customer_contacted", when)
    elif action == "transfer":
        require(cmd.to_unit and cmd.to_unit != order.owner_unit, "body.to_unit", "须转派到其他单位", "transfer to another unit")
        cmd.extra["from_unit"], order.owner_unit, order.crew_code = order.owner_unit, cmd.to_unit, None
    elif action == "reassign":
        require(cmd.crew_code and cmd.crew_code != order.crew_code, "body.crew_code", "须改派给其他班组", "choose another crew")
        order.crew_code = cmd.crew_code
    elif action == "suspend":
        allowed = (await deps.warning_table(order.tenant, at)).get("pause_reasons", [])
        require(cmd.reason_code in allowed, "body.reason_code", f"挂起原因须为：{'、'.join(allowed)}",
                f"reason_code must be one of: {', '.join(allowed)}")
    elif action == "audit":
        fit = {r["sub_type"]: r["level1"] for r in await deps.rules.active(order.tenant, "reply_audit", at)}
        order.audit_reasons = audit_reply(order, at, fit) + list(cmd.extra.get("reasons", []))
        action = "audit_reject" if order.audit_reasons else "audit_pass"
    elif action == "close":
        statuses = evaluate(order, await deps.clock_rules(order.tenant, at), await deps.calendar(order.tenant, at), at)
        cmd.extra["within_time_limit"] = within_limits(statuses)
    return action


def events_for(order: WorkOrder, action: str, cmd: Command, entry: HistoryEntry) -> list[Any]:
    """The specific event an action publishes besides ticket.state_changed."""
    tid, at, by = order.ticket_id, entry.at, cmd.actor
    reason = (cmd.reason or "")[:200]
    if action == "transfer":
        return [TicketTransferredV1(ticket_id=tid, from_unit=cmd.extra["from_unit"], to_unit=order.owner_unit, by=by,
                                    reason=reason or "转派", first_contact_owner=order.first_contact_owner, at=at)]
    if action == "return":
        code = cmd.reason_code if cmd.reason_code in ReturnReason.__members__.values() else ReturnReason.OTHER
        return [TicketReturnedV1(ticket_id=tid, returned_by_unit=order.owner_unit, reason_code=code,
                                 reason=reason or "退单", by=by, at=at)]
    if action == "reassign":
        return [CrewAssignedV1(ticket_id=tid, crew_code=order.crew_code, handler=by, at=at, assigned_by=by,
                               station_code=order.station_code)]
    if action in ("audit_pass", "audit_reject"):
        reply_id = str((order.reply or {}).get("reply_id") or f"{tid}-reply")[:64]
        return [ReplyAuditedV1(ticket_id=tid, reply_id=reply_id, passed=action == "audit_pass",
                               reasons=[r[:200] for r in order.audit_reasons], auditor=by, at=at)]
    if action == "close":
        resolution = cmd.extra.get("resolution") or Resolution.RESOLVED
        return [TicketClosedV1(ticket_id=tid, business_type=order.business_type, responsible_unit=order.owner_unit,
                               resolution=resolution, within_time_limit=cmd.extra["within_time_limit"], closed_by=by, at=at)]
    if action == "reopen":
        cause = cmd.extra.get("cause") or ReopenCause.CUSTOMER_CALLED_BACK
        return [TicketReopenedV1(ticket_id=tid, cause=cause, reason=reason or "重启", by=by, at=at)]
    return []
