"""Crew reports from the field apps (班组事件): applied per order in lifecycle order, early ones held.

accepted → departed → arrived → completed travel on four topics, so a completion can be read before the
arrival it follows. Such a report is held in the database (`Deps.held`, it survives a restart; redelivery
by the broker would instead stall every other order's reports behind it on that partition) and applied as
soon as its predecessor is: each applied report releases the order's held ones in lifecycle order. The
sweep (`expire_held`) retries the overdue; one that still cannot apply is handed back to be dead-lettered.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta
from typing import Any

from dispatch.commands import ORDER_ACTIONS, CrewStep
from dispatch.crew_membership import check_crew
from dispatch.deps import Deps
from dispatch.domain.crew_sequence import HeldReport, Verdict, already_applied, rank, record_late, verdict, verdict_on_expiry
from dispatch.domain.transitions import IllegalTransition, allowed_actions
from dispatch.service import act, commit, illegal, load
from servicekit.errors import AppError

log = logging.getLogger(__name__)
RACES = 3  # another report of the same order moved it between the read and the write: decide again
RETRYABLE = frozenset({"stale_order", "illegal_transition"})


@dataclasses.dataclass(frozen=True)
class Delivery:
    """The consumed event a report came in: its id (idempotency), topic and payload (for a dead letter)."""

    event_id: str
    topic: str
    payload: str


async def report_crew_step(tenant: str, cmd: CrewStep, delivery: Delivery, *, deps: Deps) -> Verdict:
    """Apply the report, or hold it until its predecessor is in; AppError (dead letter) when refused."""
    for attempt in range(RACES):
        order = await deps.orders.get(tenant, cmd.ticket_id)
        if order is None:
            raise AppError("工单不存在", "work order not found", code="unknown_order", status=404)
        await check_crew(order, cmd, deps)
        decided = verdict(order, cmd.action)
        if decided is Verdict.REFUSE:
            raise illegal(IllegalTransition(cmd.action, order.state.value, allowed_actions(order.state)))
        if decided is Verdict.HOLD:
            now = deps.clock()
            await deps.held.hold(HeldReport(
                tenant=tenant, event_id=delivery.event_id, ticket_id=cmd.ticket_id, action=cmd.action, topic=delivery.topic,
                command=_fields(cmd), payload=delivery.payload, held_at=now, deadline=now + timedelta(seconds=deps.crew_hold_seconds)))
            # Held, then look again: a predecessor applied meanwhile released before this report was stored.
            await release_held(tenant, cmd.ticket_id, deps=deps)
            return decided
        try:
            await _apply(tenant, cmd, decided, deps)
        except AppError as exc:
            if exc.code not in RETRYABLE or attempt == RACES - 1:
                raise
            continue
        await release_held(tenant, cmd.ticket_id, deps=deps)
        return decided
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


async def release_held(tenant: str, ticket_id: str, *, deps: Deps) -> int:
    """Apply the order's held reports that can apply now, in lifecycle order; returns how many."""
    applied = 0
    progressed = True
    while progressed:
        progressed = False
        for report in sorted(await deps.held.for_order(tenant, ticket_id), key=lambda r: (rank(r.action), r.command.get("at") or r.held_at)):
            order = await deps.orders.get(tenant, ticket_id)
            if order is None:
                return applied
            if already_applied(order, report.action):  # another worker applied it and stopped before releasing
                await deps.held.release(tenant, report.event_id)
                continue
            decided = verdict(order, report.action)
            if decided in (Verdict.APPLY, Verdict.LATE) and await _try(tenant, _command(report), decided, deps):
                await deps.held.release(tenant, report.event_id)
                applied, progressed = applied + 1, True
                break  # the order moved: read it and its held reports again
    return applied


async def expire_held(tenant: str, *, deps: Deps) -> list[tuple[HeldReport, str]]:
    """Overdue held reports: applied if they now can (an arrival implies the acceptance that never came),
    else returned with the reason for the caller to dead-letter and then release."""
    refused: list[tuple[HeldReport, str]] = []
    for report in await deps.held.expired(tenant, deps.clock()):
        await release_held(tenant, report.ticket_id, deps=deps)
        if report.event_id not in {r.event_id for r in await deps.held.for_order(tenant, report.ticket_id)}:
            continue  # applied just now
        order = await deps.orders.get(tenant, report.ticket_id)
        if order is not None and already_applied(order, report.action):
            await deps.held.release(tenant, report.event_id)
            continue
        decided = verdict_on_expiry(order, report.action) if order is not None else Verdict.REFUSE
        if decided is not Verdict.REFUSE and await _try(tenant, _command(report), decided, deps):
            await deps.held.release(tenant, report.event_id)
            await release_held(tenant, report.ticket_id, deps=deps)
            continue
        state = order.state.value if order is not None else "unknown"
        refused.append((report, f"state {state}; waited {deps.crew_hold_seconds:.0f}s for an earlier crew report"))
    return refused


async def _apply(tenant: str, cmd: CrewStep, decided: Verdict, deps: Deps) -> None:
    """APPLY through the ordinary transition (`act`), LATE as a milestone only."""
    if decided is Verdict.LATE:
        await _record_late(tenant, cmd, deps)
    else:
        await act(tenant, cmd, deps=deps)


async def _record_late(tenant: str, cmd: CrewStep, deps: Deps) -> None:
    """A report read after its successors: its milestone is stamped, the order keeps its state (no state change event)."""
    async with deps.uow(tenant) as uow:
        order = await load(uow, cmd.ticket_id)
        await check_crew(order, cmd, deps)
        entry = record_late(order, cmd.action, actor=cmd.actor, at=cmd.at or deps.clock())
        uow.save_order(order, [entry])
        await commit(uow)


async def _try(tenant: str, cmd: CrewStep, decided: Verdict, deps: Deps) -> bool:
    try:
        await _apply(tenant, cmd, decided, deps)
    except AppError as exc:  # stays held: the sweep retries it and dead-letters it when overdue
        log.info("held crew report not applied yet", extra={"tenant": tenant, "ticket_id": cmd.ticket_id, "code": exc.code})
        return False
    return True


def _fields(cmd: CrewStep) -> dict[str, Any]:
    """What rebuilds the step (`_command`): every field but the ticket id, the reply as a plain dict."""
    fields = {f.name: getattr(cmd, f.name) for f in dataclasses.fields(cmd) if f.name != "ticket_id"}
    if "reply" in fields:
        fields["reply"] = dict(fields["reply"])
    return fields


def _command(report: HeldReport) -> CrewStep:
    step = ORDER_ACTIONS[report.action](ticket_id=report.ticket_id, **report.command)
    assert isinstance(step, CrewStep)
    return step
