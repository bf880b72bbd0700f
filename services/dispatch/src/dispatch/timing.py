"""Time-limit scanning (时限监控), urging (催办) and supervision (督办)."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dispatch.commands import ScanTimeLimits, Supervise, Urge
from dispatch.deps import Deps
from dispatch.domain.clocks import Signal, evaluate, mark_signals, signals
from dispatch.domain.model import HistoryEntry, WorkOrder
from dispatch.events import SYSTEM, utc
from dispatch.ports import DispatchUnitOfWork
from dispatch.service import commit, load
from hotline_contracts.events.common import UrgeMode
from hotline_contracts.events.timelimit import (
    SupervisionRaisedV1,
    TicketUrgedV1,
    TimeLimitBreachedV1,
    TimeLimitWarningV1,
)
from hotline_contracts.tenancy import is_within, parent_of
from servicekit.errors import invalid

YIELD_EVERY = 500  # orders evaluated between yields to the event loop (~7 ms of CPU)
CLOCK_ZH = {"first_contact": "首次联系", "dispatch": "派单", "arrival": "到达现场", "restoration": "复电", "reply": "回复"}


@dataclass
class ScanResult:
    orders: int = 0
    warnings: int = 0
    breaches: int = 0


async def scan_tenant(tenant: str, cmd: ScanTimeLimits, *, deps: Deps) -> ScanResult:
    """Evaluate every open order in memory; store only the changed marks, each with the events it raises."""
    now = deps.clock()
    orders = await deps.orders.list_open(tenant)
    rules, calendar = await deps.clock_rules(tenant, now), await deps.calendar(tenant, now)
    levels = (await deps.warning_table(tenant, now)).get("levels", [])
    result, changed, raised = ScanResult(orders=len(orders)), {}, []
    t = now.timestamp()
    async with deps.uow(tenant) as uow:
        for i, order in enumerate(orders):
            if i % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)  # let new tickets through: 100k orders are ~1.4 s of CPU on the shared loop
            new = signals(order, evaluate(order, rules, calendar, t), levels)
            if not new:
                continue
            for sig in new:
                for data in _signal_events(order, sig, now):
                    uow.record(data, subject=order.ticket_id)
            raised += new
            changed[order.ticket_id] = mark_signals(order, new)
        if changed:
            uow.save_marks(changed)
            await uow.commit()
    for sig in raised:
        if sig.breach:
            deps.metrics.breaches.labels(tenant, sig.clock).inc()
        else:
            deps.metrics.warnings.labels(tenant, str(sig.level)).inc()
    result.breaches = sum(sig.breach for sig in raised)
    result.warnings = len(raised) - result.breaches
    await _gauges(tenant, orders, deps)
    return result


def _signal_events(order: WorkOrder, sig: Signal, now: datetime) -> list[Any]:
    """A breach: breached + supervision at the parent unit; a warning: warning + automatic urge."""
    due, name = utc(sig.due_at), CLOCK_ZH.get(sig.clock, sig.clock)
    if sig.breach:
        breached = TimeLimitBreachedV1(
            ticket_id=order.ticket_id, clock=sig.clock, business_type=order.business_type, due_at=due,
            owner_unit=order.owner_unit, rule_id=sig.rule_id, at=max(now, due))
        supervision = _supervision(order, f"{name}时限已超时 / {sig.clock} limit breached", SYSTEM, now)
        return [breached] + ([supervision] if supervision else [])
    return [
        TimeLimitWarningV1(
            ticket_id=order.ticket_id, clock=sig.clock, level=sig.level, percent=min(sig.threshold, 100.0), due_at=due,
            owner_unit=order.owner_unit, rule_id=sig.rule_id, at=now),
        TicketUrgedV1(
            ticket_id=order.ticket_id, mode=UrgeMode.AUTOMATIC, to_unit=order.owner_unit,
            reason=f"{name}时限已用{sig.threshold:g}%，请尽快处理", by=SYSTEM, warning_level=sig.level, at=now),
    ]


def _supervision(order: WorkOrder, reason: str, by: str, now: datetime, at_unit: str | None = None) -> SupervisionRaisedV1 | None:
    raised_at = at_unit or parent_of(order.owner_unit)
    if raised_at is None:  # the province has nobody above it inside the platform
        return None
    return SupervisionRaisedV1(
        ticket_id=order.ticket_id, raised_at_unit=raised_at, target_unit=order.owner_unit, reason=reason[:200], by=by, at=now)


async def _gauges(tenant: str, orders: list[WorkOrder], deps: Deps) -> None:
    deps.metrics.set_queue_depth(tenant, Counter((o.owner_unit, o.state.value) for o in orders))
    busy = {o.crew_code for o in orders if o.crew_code}
    for station, crews in (await deps.crews.stations(tenant)).items():
        deps.metrics.crew_utilisation.labels(tenant, station).set(sum(c in busy for c in crews) / len(crews))


def _note(uow: DispatchUnitOfWork, order: WorkOrder, action: str, actor: str, reason: str, now: datetime) -> None:
    """Urges and supervisions go into the history beside the transitions (the state does not move)."""
    entry = HistoryEntry(at=now, actor=actor, action=action, from_state=order.state.value, to_state=order.state.value, reason=reason)
    order.history.append(entry)
    uow.save_order(order, [entry])


async def urge(tenant: str, cmd: Urge, *, deps: Deps) -> WorkOrder:
    """人工催办: remind the owning unit, with a reason."""
    async with deps.uow(tenant) as uow:
        order, now = await load(uow, cmd.ticket_id), deps.clock()
        _open(order)
        _note(uow, order, "urge", cmd.actor, cmd.reason, now)
        uow.record(TicketUrgedV1(ticket_id=order.ticket_id, mode=UrgeMode.MANUAL, to_unit=order.owner_unit,
                                 reason=cmd.reason, by=cmd.actor, at=now), subject=order.ticket_id)
        await commit(uow)
    return order


async def supervise(tenant: str, cmd: Supervise, *, deps: Deps) -> str:
    """人工督办: raised at the caller's unit when it is above the owner, else at the owner's parent."""
    async with deps.uow(tenant) as uow:
        order, now = await load(uow, cmd.ticket_id), deps.clock()
        _open(order)
        above = is_within(order.owner_unit, cmd.actor_unit) and cmd.actor_unit != order.owner_unit
        if not above and parent_of(order.owner_unit) is None:
            raise invalid("省级工单无上级可督办", "no unit above the owner to supervise", code="no_parent_unit")
        _note(uow, order, "supervise", cmd.actor, cmd.reason, now)
        supervision = _supervision(order, cmd.reason, cmd.actor, now, cmd.actor_unit if above else None)
        if supervision is not None:
            uow.record(supervision, subject=order.ticket_id)
        await commit(uow)
    return supervision.raised_at_unit if supervision is not None else ""


def _open(order: WorkOrder) -> None:
    if not order.is_open:
        raise invalid("工单已办结", "order is already closed", code="order_closed")
