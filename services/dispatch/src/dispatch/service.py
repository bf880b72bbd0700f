"""Work-order use cases (调度): take a new ticket, route and crew it, and move it through its states.

Each takes the tenant and a typed command (`dispatch.commands`), works in one unit of work and
returns the order; the events it records are stored with the order and published by the outbox.
"""

from __future__ import annotations

from dispatch import outcomes
from dispatch.commands import OrderAction, TakeNewTicket
from dispatch.deps import Deps
from dispatch.domain.model import HistoryEntry, WorkOrder
from dispatch.domain.outage_wait import waits_on
from dispatch.domain.routing import choose_crew, needs_crew, route
from dispatch.domain.transitions import IllegalTransition, apply
from dispatch.events import SYSTEM, state_changed
from dispatch.ports import DispatchUnitOfWork, DuplicateOrder, StaleOrder
from hotline_contracts.events.dispatch import CrewAssignedV1, TicketDispatchedV1
from servicekit.errors import AlreadyHandled, AppError, conflict


def new_order(tenant: str, cmd: TakeNewTicket) -> WorkOrder:
    return WorkOrder(
        tenant=tenant, ticket_id=cmd.ticket_id, business_type=cmd.business_type, sub_type=cmd.sub_type,
        channel=cmd.channel, referred_from=cmd.referred_from, account_no=cmd.account_no, area_class=cmd.area_class, important=cmd.important,
        urgency=cmd.urgency, responsible_unit=cmd.responsible_unit, station_code=cmd.station_code, outage_id=cmd.outage_id,
        first_contact_owner=cmd.first_contact_owner, created_at=cmd.accepted_at, summary=cmd.summary,
        source_event_id=cmd.event_id,
    )


async def take_new_ticket(tenant: str, cmd: TakeNewTicket, *, deps: Deps) -> WorkOrder | None:
    """受理→派单→派工: store the order already routed (and crewed for repairs) with its events, in one insert.

    A ticket closed at first contact (首问办结) is none of dispatch's: nothing is stored, so it is never
    routed, crewed, counted in the queue, listed or handed over (None). Intake keeps its record.

    The order is the idempotency record: a redelivered `event_id` finds its order stored and raises
    AlreadyHandled; another event for a ticket that already has an order is refused (duplicate_order).
    Reads only cached reference data (rules, rosters, crew workload); the insert is the one round trip.
    """
    if cmd.first_contact_resolved:
        return None
    order = new_order(tenant, cmd)
    now = deps.clock()
    decision = route(order, await deps.rules.active(tenant, "routing", now))
    order.owner_unit, order.station_code, order.routing_rule_id = decision.to_unit, decision.station_code, decision.rule_id
    # A call inside a known outage waits on it (等待停电恢复): no crew, no ticket.dispatched, clocks paused.
    waiting = waits_on(order.outage_id, order.created_at, (await deps.outcomes.known(tenant)).get(order.outage_id or ""))
    entry = apply(order, "await_outage" if waiting else "dispatch", actor=SYSTEM, at=now,
                  reason=f"停电 {order.outage_id} / outage {order.outage_id}" if waiting else f"rule {decision.rule_id}")
    if needs_crew(order) and order.station_code:
        on_duty = await deps.crews.on_duty(tenant, order.station_code, now)
        order.crew_code = choose_crew(on_duty, await deps.orders.workload(tenant, on_duty))
    async with deps.uow(tenant) as uow:
        uow.add_order(order)
        _record_moves(uow, order, [entry])
        if not waiting:
            uow.record(TicketDispatchedV1(
                ticket_id=order.ticket_id, to_unit=order.owner_unit, to_station_code=order.station_code,
                routing_rule_id=order.routing_rule_id, by=SYSTEM, at=now), subject=order.ticket_id)
        if order.crew_code:
            uow.record(CrewAssignedV1(
                ticket_id=order.ticket_id, crew_code=order.crew_code, handler=SYSTEM, at=now,
                assigned_by=SYSTEM, station_code=order.station_code), subject=order.ticket_id)
        try:
            await uow.commit()
        except DuplicateOrder:
            stored = await uow.get_order(order.ticket_id)
            if cmd.event_id is not None and stored is not None and stored.source_event_id == cmd.event_id:
                raise AlreadyHandled(cmd.event_id) from None
            raise conflict("工单已存在", "work order already exists", code="duplicate_order") from None
    if cmd.published_at is not None:
        deps.metrics.dispatch_latency.labels(tenant).observe(max(0.0, (deps.clock() - cmd.published_at).total_seconds()))
    return order


async def load(uow: DispatchUnitOfWork, ticket_id: str) -> WorkOrder:
    order = await uow.get_order(ticket_id)
    if order is None:
        raise AppError("工单不存在", "work order not found", code="unknown_order", status=404)
    return order


async def act(tenant: str, cmd: OrderAction, *, deps: Deps) -> WorkOrder:
    """Apply one action: check it, move the state, append history; store with its events."""
    async with deps.uow(tenant) as uow:
        order = await load(uow, cmd.ticket_id)
        at = cmd.at or deps.clock()
        step = await outcomes.prepare(order, cmd, at, deps)
        try:
            entry = apply(order, step.action, actor=cmd.actor, at=at, reason=cmd.reason, reason_code=step.reason_code)
        except IllegalTransition as exc:
            raise illegal(exc) from None
        uow.save_order(order, [entry])
        _record_moves(uow, order, [entry])
        for event in outcomes.events_for(order, cmd, step, entry):
            uow.record(event, subject=order.ticket_id)
        await commit(uow)
    return order


async def commit(uow: DispatchUnitOfWork) -> None:
    try:
        await uow.commit()
    except StaleOrder:
        raise conflict("工单已被他人更新，请重试", "order changed meanwhile, retry", code="stale_order") from None


def illegal(exc: IllegalTransition) -> AppError:
    allowed = "、".join(exc.allowed) or "无"
    return conflict(
        f"工单当前状态（{exc.state}）不允许执行“{exc.action}”，允许的操作：{allowed}",
        f"'{exc.action}' is not allowed in state '{exc.state}'; allowed: {', '.join(exc.allowed) or 'none'}",
        code="illegal_transition",
    )


def _record_moves(uow: DispatchUnitOfWork, order: WorkOrder, entries: list[HistoryEntry]) -> None:
    """ticket.state_changed for each entry that moves the shared state."""
    for entry in entries:
        data = state_changed(order, entry)
        if data is not None:
            uow.record(data, subject=order.ticket_id)
