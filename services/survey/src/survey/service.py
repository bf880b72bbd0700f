"""Use cases: schedule a return visit when an order closes (安排回访), record its result (登记回访结果)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from hotline_contracts import Envelope, make_event
from hotline_contracts.events.survey import ReturnVisitCompletedV1, ReturnVisitScheduledV1
from servicekit import correlation
from servicekit.errors import AppError, conflict, not_found
from survey.domain.model import ReturnVisit, due_time, satisfaction_ratio, visit_id_for
from survey.ports import Clock, Publish, RuleStore, SurveyMetricsPort, VisitRepo

SOURCE = "/hotline/survey"


@dataclass(frozen=True)
class VisitResult:
    """回访结果登记: what the agent heard from the customer."""

    result: str
    method: str = "phone"
    attempts: int = 1
    comment: str | None = None


async def schedule_visit(
    envelope: Envelope[Any], *, repo: VisitRepo, rules: RuleStore, publish: Publish, is_workday: Callable[[date], bool]
) -> ReturnVisit | None:
    """ticket.closed → a visit due per the tenant's rule for the order's business type (None when the rule skips it)."""
    tenant, closed = envelope.tenant, envelope.data
    existing = await repo.by_source_event(tenant, envelope.id)
    if existing is None:
        table = await rules.active(tenant, closed.at)
        if table is None:
            raise AppError("回访规则未配置", "no return-visit rule table", code="no_rule_table", status=422)
        rule = table.rule_for(str(closed.business_type))
        if rule is None or rule.skip:
            return None
        earlier = await repo.count_for_ticket(tenant, closed.ticket_id)
        existing = ReturnVisit(
            tenant=tenant, visit_id=visit_id_for(closed.ticket_id, earlier), ticket_id=closed.ticket_id,
            business_type=str(closed.business_type), responsible_unit=closed.responsible_unit, closed_at=closed.at,
            due_at=due_time(rule, closed.at, is_workday), source_event_id=envelope.id,
            correlation_id=envelope.correlation_id,
        )
        await repo.add(tenant, existing)
    # Published again on a redelivery: the first attempt may have stored the visit and then failed to publish.
    await publish(_scheduled_event(existing, envelope.time if envelope.time else closed.at))
    return existing


def _scheduled_event(visit: ReturnVisit, at: Any) -> Envelope[Any]:
    data = ReturnVisitScheduledV1(
        visit_id=visit.visit_id, ticket_id=visit.ticket_id, business_type=visit.business_type,
        responsible_unit=visit.responsible_unit, method=visit.method, due_at=visit.due_at, at=at,
    )
    return make_event(data, tenant=visit.tenant, source=SOURCE, subject=visit.ticket_id,
                      correlation_id=visit.correlation_id or correlation.ensure())


async def record_result(
    tenant: str, visit_id: str, cmd: VisitResult, *, by: str, repo: VisitRepo, publish: Publish,
    metrics: SurveyMetricsPort, clock: Clock,
) -> ReturnVisit:
    """Store the answer once; unsatisfied asks for the order to be reopened (不满意重启)."""
    visit = await repo.get(tenant, visit_id)
    if visit is None:
        raise not_found("回访任务", "return visit")
    done = replace(
        visit, state="completed", result=cmd.result, method=cmd.method, attempts=cmd.attempts, comment=cmd.comment,
        by=by, completed_at=clock(), reopen_requested=cmd.result == "unsatisfied",
    )
    if visit.state != "scheduled" or not await repo.complete(tenant, done):
        raise conflict("该回访已登记结果", "this return visit already has a result", code="already_completed")
    metrics.visit_completed(tenant, cmd.result)
    metrics.satisfaction(tenant, satisfaction_ratio(await repo.result_counts(tenant)))
    await publish(_completed_event(done))
    return done


def _completed_event(visit: ReturnVisit) -> Envelope[Any]:
    data = ReturnVisitCompletedV1(
        visit_id=visit.visit_id, ticket_id=visit.ticket_id, business_type=visit.business_type,
        responsible_unit=visit.responsible_unit, result=visit.result, method=visit.method, attempts=visit.attempts,
        comment=visit.comment, by=visit.by, at=visit.completed_at, reopen_requested=visit.reopen_requested,
    )
    return make_event(data, tenant=visit.tenant, source=SOURCE, subject=visit.ticket_id, correlation_id=correlation.ensure())


async def refresh_ratio(tenant: str, *, repo: VisitRepo, metrics: SurveyMetricsPort) -> None:
    """At start-up: the gauge reflects what is stored, not only what this process recorded."""
    metrics.satisfaction(tenant, satisfaction_ratio(await repo.result_counts(tenant)))
