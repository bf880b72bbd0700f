"""Time-limit scanning (时限监控), urging (催办) and supervision (督办)."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from dispatch.deps import Deps
from dispatch.domain.clocks import Signal, evaluate, mark_signals, signals
from dispatch.domain.model import HistoryEntry, WorkOrder
from dispatch.events import SYSTEM, envelope, utc
from dispatch.service import load
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


async def scan_tenant(tenant: str, *, deps: Deps) -> ScanResult:
    """Evaluate every open order in memory; publish what is newly due and store only the changed marks."""
    now = deps.clock()
    orders = await deps.orders.list_open(tenant)
    rules, calendar = await deps.clock_rules(tenant, now), await deps.calendar(tenant, now)
    levels = (await deps.warning_table(tenant, now)).get("levels", [])
    result, changed = ScanResult(orders=len(orders)), {}
    t = now.timestamp()
    for i, order in enumerate(orders):
        if i % YIELD_EVERY == YIELD_EVERY - 1:
            await asyncio.sleep(0)  # let new tickets through: 100k orders are ~1.4 s of CPU on the shared loop
        new = signals(order, evaluate(order, rules, calendar, t), levels)
        if not new:
            continue
        for sig in new:
            await _publish_signal(order, sig, now, deps)
            result.breaches += sig.breach
            result.warnings += not sig.breach
        changed[order.ticket_id] = mark_signals(order, new)
    if changed:
        await deps.orders.save_marks(tenant, changed)
    await _gauges(tenant, orders, deps)
    return result


async def _publish_signal(order: WorkOrder, sig: Signal, now: datetime, deps: Deps) -> None:
    due, name = utc(sig.due_at), CLOCK_ZH.get(sig.clock, sig.clock)
    if sig.breach:
        deps.metrics.breaches.labels(order.tenant, sig.clock).inc()
        await deps.publish(envelope(order, TimeLimitBreachedV1(
            ticket_id=order.ticket_id, clock=sig.clock, business_type=order.business_type, due_at=due,
            owner_unit=order.owner_unit, rule_id=sig.rule_id, at=max(now, due))))
        await _supervise(order, f"{name}时限已超时 / {sig.clock} limit breached", SYSTEM, now, deps)
        return
    deps.metrics.warnings.labels(order.tenant, str(sig.level)).inc()
    await deps.publish(envelope(order, TimeLimitWarningV1(
        ticket_id=order.ticket_id, clock=sig.clock, level=sig.level, percent=min(sig.threshold, 100.0), due_at=due,
        owner_unit=order.owner_unit, rule_id=sig.rule_id, at=now)))
    await deps.publish(envelope(order, TicketUrgedV1(
        ticket_id=order.ticket_id, mode=UrgeMode.AUTOMATIC, to_unit=order.owner_unit,
        reason=f"{name}时限已用{sig.threshold:g}%，请尽快处理", by=SYSTEM, warning_level=sig.level, at=now)))


async def _supervise(order: WorkOrder, reason: str, by: str, now: datetime, deps: Deps, at_unit: str | None = None) -> str | None:
    raised_at = at_unit or parent_of(order.owner_unit)
    if raised_at is None:  # the province has nobody above it inside the platform
        return None
    await deps.publish(envelope(order, SupervisionRaisedV1(
        ticket_id=order.ticket_id, raised_at_unit=raised_at, target_unit=order.owner_unit, reason=reason[:200], by=by, at=now)))
    return raised_at


async def _gauges(tenant: str, orders: list[WorkOrder], deps: Deps) -> None:
    deps.metrics.set_queue_depth(tenant, Counter((o.owner_unit, o.state.value) for o in orders))
    busy = {o.crew_code for o in orders if o.crew_code}
    for station, crews in (await deps.crews.stations(tenant)).items():
        deps.metrics.crew_utilisation.labels(tenant, station).set(sum(c in busy for c in crews) / len(crews))


async def _note(order: WorkOrder, action: str, actor: str, reason: str, now: datetime, deps: Deps) -> None:
    """Urges and supervisions go into the history beside the transitions (the state does not move)."""
    entry = HistoryEntry(at=now, actor=actor, action=action, from_state=order.state.value, to_state=order.state.value, reason=reason)
    order.history.append(entry)
    await deps.orders.save(order, [entry])


async def urge(tenant: str, ticket_id: str, *, reason: str, actor: str, deps: Deps) -> WorkOrder:
    """人工催办: remind the owning unit, with a reason."""
    order, now = await load(tenant, ticket_id, deps), deps.clock()
    _open(order)
    await _note(order, "urge", actor, reason, now, deps)
    await deps.publish(envelope(order, TicketUrgedV1(
        ticket_id=order.ticket_id, mode=UrgeMode.MANUAL, to_unit=order.owner_unit, reason=reason, by=actor, at=now)))
    return order


async def supervise(tenant: str, ticket_id: str, *, reason: str, actor: str, actor_unit: str, deps: Deps) -> str:
    """人工督办: raised at the caller's unit when it is above the owner, else at the owner's parent."""
    order, now = await load(tenant, ticket_id, deps), deps.clock()
    _open(order)
    above = is_within(order.owner_unit, actor_unit) and actor_unit != order.owner_unit
    if not above and parent_of(order.owner_unit) is None:
        raise invalid("省级工单无上级可督办", "no unit above the owner to supervise", code="no_parent_unit")
    await _note(order, "supervise", actor, reason, now, deps)
    return await _supervise(order, reason, actor, now, deps, actor_unit if above else None) or ""


def _open(order: WorkOrder) -> None:
    if not order.is_open:
        raise invalid("工单已办结", "order is already closed", code="order_closed")
