"""Work-order use cases (调度): take a new ticket, route and crew it, and move it through its states."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dispatch import outcomes
from dispatch.deps import Deps
from dispatch.domain.model import HistoryEntry, WorkOrder
from dispatch.domain.routing import choose_crew, needs_crew, route
from dispatch.domain.transitions import IllegalTransition, apply
from dispatch.events import SYSTEM, envelope, state_changed
from dispatch.ports import DuplicateOrder, StaleOrder
from hotline_contracts.events.dispatch import CrewAssignedV1, TicketDispatchedV1
from hotline_contracts.events.ticket import TicketCreatedV1
from servicekit.errors import AlreadyHandled, AppError, conflict

CREW_ACTIONS = {"accept", "depart", "arrive", "complete"}


@dataclass
class Command:
    """One action on an order, from HTTP or a Kafka event; fields beyond `action` depend on it."""

    action: str
    actor: str
    at: datetime | None = None
    reason: str | None = None
    reason_code: str | None = None
    crew_code: str | None = None
    to_unit: str | None = None
    reply: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def order_from_event(tenant: str, data: TicketCreatedV1) -> WorkOrder:
    return WorkOrder(
        tenant=tenant, ticket_id=data.ticket_id, business_type=data.business_type.value, sub_type=data.sub_type,
        channel=data.channel.value, account_no=data.account_no, area_class=data.area_class.value if data.area_class else None,
        important=data.important, urgency=data.urgency.value, responsible_unit=data.responsible_unit,
        station_code=data.station_code, outage_id=data.outage_id, first_contact_owner=data.first_contact_owner,
        created_at=data.accepted_at, summary=data.summary,
    )


async def take_new_ticket(
    tenant: str, data: TicketCreatedV1, *, deps: Deps, published_at: datetime | None = None, event_id: str | None = None
) -> WorkOrder:
    """受理→派单→派工: store the order already routed (and crewed for repairs), then announce it.

    The order is the idempotency record: a redelivered `event_id` finds its order stored and raises
    AlreadyHandled; another event for a ticket that already has an order is refused (duplicate_order).
    """
    order = order_from_event(tenant, data)
    order.source_event_id = event_id
    now = deps.clock()
    decision = route(order, await deps.rules.active(tenant, "routing", now))
    order.owner_unit, order.station_code, order.routing_rule_id = decision.to_unit, decision.station_code, decision.rule_id
    entries = [apply(order, "dispatch", actor=SYSTEM, at=now, reason=f"rule {decision.rule_id}")]
    if needs_crew(order) and order.station_code:
        on_duty = await deps.crews.on_duty(tenant, order.station_code, now)
        order.crew_code = choose_crew(on_duty, await deps.orders.workload(tenant, on_duty))
    try:
        await deps.orders.insert(order)
    except DuplicateOrder:
        stored = await deps.orders.get(tenant, order.ticket_id)
        if event_id is not None and stored is not None and stored.source_event_id == event_id:
            raise AlreadyHandled(event_id) from None
        raise conflict("工单已存在", "work order already exists", code="duplicate_order") from None
    if published_at is not None:
        deps.metrics.dispatch_latency.labels(tenant).observe(max(0.0, (deps.clock() - published_at).total_seconds()))
    events = [state_changed(order, entries[0]), envelope(order, TicketDispatchedV1(
        ticket_id=order.ticket_id, to_unit=order.owner_unit, to_station_code=order.station_code,
        routing_rule_id=order.routing_rule_id, by=SYSTEM, at=now))]
    if order.crew_code:
        events.append(envelope(order, CrewAssignedV1(
            ticket_id=order.ticket_id, crew_code=order.crew_code, handler=SYSTEM, at=now,
            assigned_by=SYSTEM, station_code=order.station_code)))
    # Sent together, so they share one produce request instead of three round trips in a row; each is
    # still acknowledged before the ticket counts as handled. They go to three different topics, so no
    # consumer could rely on their relative order; they are still queued in this order.
    await asyncio.gather(*(deps.publish(event) for event in events))
    return order


async def load(tenant: str, ticket_id: str, deps: Deps) -> WorkOrder:
    order = await deps.orders.get(tenant, ticket_id)
    if order is None:
        raise AppError("工单不存在", "work order not found", code="unknown_order", status=404)
    return order


async def act(tenant: str, ticket_id: str, cmd: Command, *, deps: Deps) -> WorkOrder:
    """Apply one action: check it, move the state, append history, save, publish."""
    order = await load(tenant, ticket_id, deps)
    at = cmd.at or deps.clock()
    action = await outcomes.prepare(order, cmd, at, deps)
    try:
        entry = apply(order, action, actor=cmd.actor, at=at, reason=cmd.reason, reason_code=cmd.reason_code)
    except IllegalTransition as exc:
        raise illegal(exc) from None
    try:
        await deps.orders.save(order, [entry])
    except StaleOrder:
        raise conflict("工单已被他人更新，请重试", "order changed meanwhile, retry", code="stale_order") from None
    await _announce(order, [entry], deps)
    for event in outcomes.events_for(order, action, cmd, entry):
        await deps.publish(envelope(order, event))
    return order


def illegal(exc: IllegalTransition) -> AppError:
    allowed = "、".join(exc.allowed) or "无"
    return conflict(
        f"工单当前状态（{exc.state}）不允许执行“{exc.action}”，允许的操作：{allowed}",
        f"'{exc.action}' is not allowed in state '{exc.state}'; allowed: {', '.join(exc.allowed) or 'none'}",
        code="illegal_transition",
    )


async def _announce(order: WorkOrder, entries: list[HistoryEntry], deps: Deps) -> None:
    for entry in entries:
        event = state_changed(order, entry)
        if event is not None:
            await deps.publish(event)


