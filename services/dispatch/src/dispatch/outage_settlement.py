"""Use cases for orders waiting on an outage (等待停电恢复): its restoration closes them, its cancellation dispatches them.

`settle_outage` runs on outage.restored.v1 / outage.cancelled.v1; `settle_stragglers` runs with every
time-limit scan and settles orders that began waiting after their outage's end was already handled
(a ticket and the restoration crossing on their topics). Which order is closed and which dispatched:
`dispatch.domain.outage_wait`. Every settled order is one write with its own events (state change,
ticket.closed.v1 or ticket.dispatched.v1 and crew.assigned.v1), in bulk.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dispatch.commands import SettleOutage
from dispatch.deps import Deps
from dispatch.domain.clocks import evaluate, within_limits
from dispatch.domain.model import HistoryEntry, WorkOrder
from dispatch.domain.outage_wait import OutageEnd, OutageOutcome, settling_action
from dispatch.domain.routing import choose_crew, needs_crew
from dispatch.domain.transitions import apply
from dispatch.events import SYSTEM, state_changed
from hotline_contracts.events.dispatch import CrewAssignedV1, TicketDispatchedV1
from hotline_contracts.events.ticket import Resolution, TicketClosedV1

YIELD_EVERY = 500  # orders decided between yields to the event loop new tickets share
REASON = {
    OutageEnd.RESTORED: "停电 {} 已送电，随复电办结 / closed: outage {} restored",
    OutageEnd.CANCELLED: "停电 {} 已取消，转入正常派单 / outage {} cancelled: dispatched as a repair",
}
LATE_REASON = "送电后来电，故障仍在，转入正常派单 / called after outage {} was restored: dispatched as a repair"


@dataclass
class Settlement:
    """What one settlement did: ticket ids closed and dispatched (stored)."""

    closed: list[str] = field(default_factory=list)
    dispatched: list[str] = field(default_factory=list)


async def settle_outage(tenant: str, cmd: SettleOutage, *, deps: Deps) -> Settlement:
    """送电 / 停电取消: record how the outage ended, then close or dispatch every order waiting on it.

    A redelivered event finds nothing waiting (every order it settled has moved on) and changes nothing.
    """
    heard = OutageOutcome(cmd.outage_id, OutageEnd(cmd.end), cmd.at, cmd.event_id)
    outcome = await deps.outcomes.record(tenant, heard)  # the first end heard counts
    waiting = await deps.orders.awaiting(tenant, [cmd.outage_id])
    return await _settle(tenant, outcome, waiting, cmd.event_id or uuid.uuid4().hex, deps)


async def settle_stragglers(tenant: str, *, deps: Deps) -> Settlement:
    """Orders still waiting on an outage whose end is already known: settled as that end would have."""
    known = await deps.outcomes.known(tenant)
    total = Settlement()
    if not known:
        return total
    by_outage: dict[str, list[WorkOrder]] = {}
    for order in await deps.orders.awaiting(tenant, sorted(known)):
        by_outage.setdefault(order.outage_id or "", []).append(order)
    for outage_id, orders in by_outage.items():
        done = await _settle(tenant, known[outage_id], orders, f"sweep-{uuid.uuid4().hex[:12]}", deps)
        total.closed += done.closed
        total.dispatched += done.dispatched
    return total


async def _settle(tenant: str, outcome: OutageOutcome, orders: list[WorkOrder], mark: str, deps: Deps) -> Settlement:
    now = deps.clock()
    rules, calendar = await deps.clock_rules(tenant, now), await deps.calendar(tenant, now)
    decided: list[tuple[WorkOrder, list[HistoryEntry]]] = []
    closing: set[str] = set()
    async with deps.uow(tenant) as uow:
        for i, order in enumerate(orders):
            if i % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)
            action = settling_action(order, outcome)
            if action is None:
                continue
            order.outage_settled_by = mark
            reason = _reason(order, outcome)
            entry = apply(order, action, actor=SYSTEM, at=now, reason=reason)
            events: list[Any] = [e for e in (state_changed(order, entry),) if e is not None]
            if action == "close_by_outage":
                closing.add(order.ticket_id)
                events.append(TicketClosedV1(
                    ticket_id=order.ticket_id, business_type=order.business_type, responsible_unit=order.owner_unit,
                    resolution=Resolution.OUTAGE_RESTORED, within_time_limit=within_limits(evaluate(order, rules, calendar, now)),
                    closed_by=SYSTEM, at=now))
            else:
                events += await _dispatch_events(tenant, order, now, reason, deps)
            for data in events:
                uow.record(data, subject=order.ticket_id)
            decided.append((order, [entry]))
        if not decided:
            return Settlement()
        uow.save_settled(decided)
        await uow.commit()
        stored = set(uow.settled_ids)
    return Settlement(closed=[t for t in stored if t in closing], dispatched=[t for t in stored if t not in closing])


def _reason(order: WorkOrder, outcome: OutageOutcome) -> str:
    if outcome.end == OutageEnd.RESTORED and order.created_at > outcome.at:
        return LATE_REASON.format(outcome.outage_id)
    return REASON[outcome.end].format(outcome.outage_id, outcome.outage_id)


async def _dispatch_events(tenant: str, order: WorkOrder, now: datetime, reason: str, deps: Deps) -> list[Any]:
    """Released into ordinary dispatch: the unit routing chose when the ticket came, and a crew for a repair."""
    if needs_crew(order) and order.station_code:
        on_duty = await deps.crews.on_duty(tenant, order.station_code, now)
        order.crew_code = choose_crew(on_duty, await deps.orders.workload(tenant, on_duty))
    events: list[Any] = [TicketDispatchedV1(
        ticket_id=order.ticket_id, to_unit=order.owner_unit, to_station_code=order.station_code,
        routing_rule_id=order.routing_rule_id, by=SYSTEM, at=now)]
    if order.crew_code:
        events.append(CrewAssignedV1(ticket_id=order.ticket_id, crew_code=order.crew_code, handler=SYSTEM, at=now,
                                     assigned_by=SYSTEM, station_code=order.station_code))
    return events
