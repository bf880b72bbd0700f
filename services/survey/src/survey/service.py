"""Use cases: decide and schedule a return visit once 95598 passed an order's reply (安排回访), record its result (登记回访结果).

Each opens a unit of work, lets the domain decide, records the event of its decision and commits:
the visit and its event are stored in one write, and the process's outbox relay publishes the event.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from hotline_contracts.events.survey import ReturnVisitCompletedV1, ReturnVisitScheduledV1, ReturnVisitSkippedV1
from servicekit.errors import AppError, conflict, not_found
from survey.commands import RecordResult, ScheduleVisit
from survey.deps import Deps
from survey.domain.model import RETURN_VISIT, ReturnVisit, RuleTable, due_time, satisfaction_ratio, visit_id_for
from survey.domain.sampling import TYPE_NOT_VISITED, decide
from survey.ports import AlreadyCompleted, VisitExists


@dataclass(frozen=True)
class Scheduled:
    """What an audited reply became: a visit (state scheduled) or the decision not to visit (state skipped),
    new or found from an earlier delivery (`replayed`)."""

    visit: ReturnVisit
    replayed: bool = False


async def schedule_visit(tenant: str, cmd: ScheduleVisit, *, deps: Deps) -> Scheduled:
    """reply.audited (passed) → a visit due per the tenant's rule, or return_visit.skipped when none is made.

    Both are stored (the decision is this event's idempotency record) with their event, in one write.
    """
    async with deps.uow(tenant) as uow:
        earlier = await uow.visits.by_source_event(cmd.source_event_id)
        if earlier is not None:
            # A redelivery: the decision's event was stored with it, and the outbox publishes it (again after a crash).
            return Scheduled(earlier, replayed=True)
        table = RuleTable.of(await deps.rules.active_version(tenant, RETURN_VISIT, cmd.answered_at))
        rule = table.rule_for(cmd.business_type)
        visit = ReturnVisit(
            tenant=tenant, visit_id=visit_id_for(cmd.ticket_id, await uow.visits.count_for_ticket(cmd.ticket_id)),
            ticket_id=cmd.ticket_id, business_type=cmd.business_type, responsible_unit=cmd.responsible_unit,
            closed_at=cmd.answered_at, due_at=cmd.answered_at, source_event_id=cmd.source_event_id,
            correlation_id=cmd.correlation_id,
        )
        skip = decide(rule, cmd.ticket_id)
        if skip is not None or rule is None:
            visit = replace(visit, state="skipped", skip_reason=skip)
            event: ReturnVisitScheduledV1 | ReturnVisitSkippedV1 = _skipped(visit, deps.clock())
        else:
            calendar = await deps.calendar(tenant, cmd.answered_at)  # official holidays plus the tenant's overrides
            visit = replace(visit, due_at=due_time(rule, cmd.answered_at, calendar.is_workday))
            event = _scheduled(visit, deps.clock())
        uow.add(visit)
        uow.record(event, subject=visit.ticket_id, correlation_id=cmd.correlation_id)
        try:
            await uow.commit()
        except VisitExists:
            stored = await uow.visits.by_source_event(cmd.source_event_id)
            if stored is None:
                raise  # another audit of the order took the id at the same moment: a redelivery counts again
            return Scheduled(stored, replayed=True)
    return Scheduled(visit)


def _skipped(visit: ReturnVisit, at: datetime) -> ReturnVisitSkippedV1:
    return ReturnVisitSkippedV1(
        ticket_id=visit.ticket_id, business_type=visit.business_type, responsible_unit=visit.responsible_unit,
        reason=visit.skip_reason or TYPE_NOT_VISITED, at=at,
    )


def _scheduled(visit: ReturnVisit, at: datetime) -> ReturnVisitScheduledV1:
    return ReturnVisitScheduledV1(
        visit_id=visit.visit_id, ticket_id=visit.ticket_id, business_type=visit.business_type,
        responsible_unit=visit.responsible_unit, method=visit.method, due_at=visit.due_at, at=at,
    )


async def record_result(tenant: str, cmd: RecordResult, *, deps: Deps) -> ReturnVisit:
    """Store the answer once; unsatisfied asks for the order to be reopened (不满意重启)."""
    async with deps.uow(tenant) as uow:
        visit = await uow.visits.get(cmd.visit_id)
        if visit is None:
            raise not_found("回访任务", "return visit")
        if visit.state != "scheduled":
            raise _already_completed()
        done = replace(
            visit, state="completed", result=cmd.result, method=cmd.method, attempts=cmd.attempts, comment=cmd.comment,
            by=cmd.by, completed_at=deps.clock(), reopen_requested=cmd.result == "unsatisfied",
        )
        uow.complete(done)
        uow.record(_completed(done), subject=done.ticket_id)
        try:
            await uow.commit()
        except AlreadyCompleted:
            raise _already_completed() from None
    deps.metrics.visit_completed(tenant, cmd.result)
    await refresh_ratio(tenant, deps=deps)
    return done


def _already_completed() -> AppError:
    return conflict("该回访已登记结果", "this return visit already has a result", code="already_completed")


def _completed(visit: ReturnVisit) -> ReturnVisitCompletedV1:
    return ReturnVisitCompletedV1(
        visit_id=visit.visit_id, ticket_id=visit.ticket_id, business_type=visit.business_type,
        responsible_unit=visit.responsible_unit, result=visit.result, method=visit.method, attempts=visit.attempts,
        comment=visit.comment, by=visit.by, at=visit.completed_at, reopen_requested=visit.reopen_requested,
    )


async def refresh_ratio(tenant: str, *, deps: Deps) -> None:
    """The satisfaction gauge from what is stored (at start-up, and after each result)."""
    deps.metrics.satisfaction(tenant, satisfaction_ratio(await deps.visits.result_counts(tenant)))
