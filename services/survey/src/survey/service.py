"""Use cases: schedule a return visit when an order closes (安排回访), record its result (登记回访结果).

Each opens a unit of work, lets the domain decide, records the event of its decision and commits:
the visit and its event are stored in one write, and the process's outbox relay publishes the event.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from hotline_contracts.events.survey import ReturnVisitCompletedV1, ReturnVisitScheduledV1
from servicekit.errors import AppError, conflict, not_found
from survey.commands import RecordResult, ScheduleVisit
from survey.deps import Deps
from survey.domain.model import RETURN_VISIT, ReturnVisit, RuleTable, due_time, satisfaction_ratio, visit_id_for
from survey.ports import AlreadyCompleted, VisitExists


@dataclass(frozen=True)
class Scheduled:
    """What a closure became: a new visit, the visit an earlier delivery made (`replayed`), or none (rule skips it)."""

    visit: ReturnVisit | None
    replayed: bool = False


async def schedule_visit(tenant: str, cmd: ScheduleVisit, *, deps: Deps) -> Scheduled:
    """ticket.closed → a visit due per the tenant's rule for the order's business type."""
    async with deps.uow(tenant) as uow:
        earlier = await uow.visits.by_source_event(cmd.source_event_id)
        if earlier is not None:
            # A redelivery: the visit's event was stored with it, and the outbox publishes it (again after a crash).
            return Scheduled(earlier, replayed=True)
        table = RuleTable.of(await deps.rules.active_version(tenant, RETURN_VISIT, cmd.closed_at))
        rule = table.rule_for(cmd.business_type)
        if rule is None or rule.skip:
            return Scheduled(None)
        calendar = await deps.calendar(tenant, cmd.closed_at)  # official holidays plus the tenant's overrides
        visit = ReturnVisit(
            tenant=tenant, visit_id=visit_id_for(cmd.ticket_id, await uow.visits.count_for_ticket(cmd.ticket_id)),
            ticket_id=cmd.ticket_id, business_type=cmd.business_type, responsible_unit=cmd.responsible_unit,
            closed_at=cmd.closed_at, due_at=due_time(rule, cmd.closed_at, calendar.is_workday), source_event_id=cmd.source_event_id,
            correlation_id=cmd.correlation_id,
        )
        uow.add(visit)
        uow.record(_scheduled(visit, deps.clock()), subject=visit.ticket_id, correlation_id=cmd.correlation_id)
        try:
            await uow.commit()
        except VisitExists:
            stored = await uow.visits.by_source_event(cmd.source_event_id)
            if stored is None:
                raise  # another closure of the order took the id at the same moment: a redelivery counts again
            return Scheduled(stored, replayed=True)
    return Scheduled(visit)


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
