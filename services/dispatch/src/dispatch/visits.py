"""The return visit decides how an audited order ends (回访闭环): closed, or reopened with fresh clocks.

Survey decides whether to visit once 95598 passed the reply; dispatch holds the order in `return_visit`
until the result comes, and closes it at once when survey will not visit. An unsatisfied customer
reopens the order: every clock restarts at the reopen (`domain.fresh_clocks`), the order is dispatched
to its unit again and, for a complaint, supervision (督办) is raised at the unit above.
"""

from __future__ import annotations

from dispatch.commands import CloseAfterVisit, VisitDecided, VisitDone
from dispatch.deps import Deps
from dispatch.domain.model import State, WorkOrder
from dispatch.domain.transitions import IllegalTransition, apply
from dispatch.outcomes import prepare
from dispatch.service import _record_moves, commit, illegal, load
from hotline_contracts.events.dispatch import TicketDispatchedV1
from hotline_contracts.events.ticket import ReopenCause, Resolution, TicketClosedV1, TicketReopenedV1
from hotline_contracts.events.timelimit import SupervisionRaisedV1
from hotline_contracts.tenancy import parent_of
from servicekit.errors import AlreadyHandled

CLOSING_RESULTS = frozenset({"satisfied", "fairly_satisfied", "unreachable"})  # 满意 / 基本满意 / 联系不上
UNSATISFIED = "unsatisfied"
VISIT_OVER = frozenset({State.CLOSED, State.ARCHIVED})


def _visited_since_audit(order: WorkOrder) -> bool:
    """The order already went to its visit after the last audit pass (a late or repeated decision)."""
    for entry in reversed(order.history):
        if entry.action in ("return_visit", "close", "reopen"):
            return True
        if entry.action == "audit_pass":
            return False
    return False


async def visit_decided(tenant: str, cmd: VisitDecided, *, deps: Deps) -> WorkOrder:
    """return_visit.scheduled → the order waits in `return_visit`; return_visit.skipped → closed now."""
    async with deps.uow(tenant) as uow:
        order = await load(uow, cmd.ticket_id)
        if order.state is not State.REPLY_AUDITED and _visited_since_audit(order):
            raise AlreadyHandled(cmd.ticket_id)  # the visit's result (another topic) was read first
        if cmd.visited:
            entries = [_apply(order, "return_visit", cmd.actor, cmd)]
            events: list = []
        else:
            entries, events = await _close(order, cmd.actor, cmd, "不回访 / no return visit", deps)
        uow.save_order(order, entries)
        _record_moves(uow, order, entries)
        for event in events:
            uow.record(event, subject=order.ticket_id)
        await commit(uow)
    return order


async def visit_done(tenant: str, cmd: VisitDone, *, deps: Deps) -> WorkOrder:
    """return_visit.completed → closed (satisfied, fairly satisfied, unreachable) or reopened (unsatisfied)."""
    async with deps.uow(tenant) as uow:
        order = await load(uow, cmd.ticket_id)
        entries = []
        if order.state is State.REPLY_AUDITED:  # the result was read before the decision (separate topics)
            entries.append(_apply(order, "return_visit", "system:survey", cmd))
        if cmd.result == UNSATISFIED:
            more, events = _reopen(order, cmd)
        else:
            more, events = await _close(order, cmd.actor, cmd, f"回访{cmd.result} / visit {cmd.result}", deps)
        entries += more
        uow.save_order(order, entries)
        _record_moves(uow, order, entries)
        for event in events:
            uow.record(event, subject=order.ticket_id)
        await commit(uow)
    return order


def _apply(order: WorkOrder, action: str, actor: str, cmd: VisitDecided | VisitDone, reason: str | None = None):
    try:
        return apply(order, action, actor=actor, at=cmd.at, reason=reason)
    except IllegalTransition as exc:
        raise illegal(exc) from None


async def _close(order: WorkOrder, actor: str, cmd: VisitDecided | VisitDone, reason: str, deps: Deps):
    close = CloseAfterVisit(ticket_id=order.ticket_id, actor=actor, at=cmd.at, reason=reason)
    step = await prepare(order, close, cmd.at, deps)
    entry = _apply(order, "close", actor, cmd, reason)
    closed = TicketClosedV1(ticket_id=order.ticket_id, business_type=order.business_type, responsible_unit=order.owner_unit,
                            resolution=Resolution.RESOLVED, within_time_limit=step.within_time_limit, closed_by=actor, at=cmd.at)
    return [entry], [closed]


def _reopen(order: WorkOrder, cmd: VisitDone):
    """重启 with fresh clocks, dispatched to its unit again; a complaint is also supervised above the unit."""
    reason = (f"回访不满意：{cmd.comment}" if cmd.comment else "回访不满意 / unsatisfied return visit")[:200]
    entries = [_apply(order, "reopen", cmd.actor, cmd, reason), _apply(order, "dispatch", "system:dispatch", cmd, "重启后重新派单")]
    events: list = [
        TicketReopenedV1(ticket_id=order.ticket_id, cause=ReopenCause.UNSATISFIED_RETURN_VISIT, reason=reason,
                         visit_id=cmd.visit_id, by=cmd.actor, at=cmd.at),
        TicketDispatchedV1(ticket_id=order.ticket_id, to_unit=order.owner_unit, to_station_code=order.station_code,
                           routing_rule_id=order.routing_rule_id, by="system:dispatch", at=cmd.at),
    ]
    above = parent_of(order.owner_unit)
    if order.business_type == "complaint" and above is not None:
        events.append(SupervisionRaisedV1(ticket_id=order.ticket_id, raised_at_unit=above, target_unit=order.owner_unit,
                                          reason="投诉回访不满意，工单重启 / complaint reopened after an unsatisfied visit",
                                          by="system:dispatch", at=cmd.at))
    return entries, events
