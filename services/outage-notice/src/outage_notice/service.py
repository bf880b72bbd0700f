"""Use cases of outage information (停电信息): report, publish, change, start, restore, cancel."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hotline_contracts import make_event
from hotline_contracts.envelope import EventData
from outage_notice import events
from outage_notice.domain.leadtime import LeadTimeRules, check_change, evaluate_report
from outage_notice.domain.notices import NoticeKind, NoticeRules, Recipient, plan_notices
from outage_notice.domain.outage import Outage, Scope, apply_change, first_revision, transition
from outage_notice.index import OutageIndex
from outage_notice.metrics import OutageMetrics
from outage_notice.ports import Clock, CustomerDirectory, NoticeGateway, NoticeQueue, OutageRepository, Publish, RuleStore
from servicekit import correlation
from servicekit.errors import not_found

LEAD_TIME = "outage_lead_time"
NOTICE = "outage_notice"


@dataclass
class Deps:
    """Everything the use cases touch, built once in app.py (or from fakes in tests)."""

    outages: OutageRepository
    directory: CustomerDirectory
    notices: NoticeQueue
    rules: RuleStore
    gateway: NoticeGateway
    publish: Publish
    clock: Clock
    index: OutageIndex
    metrics: OutageMetrics | None = None
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    source: str = "/hotline/outage-notice"

    async def emit(self, tenant: str, data: EventData, subject: str) -> None:
        await self.publish(make_event(data, tenant=tenant, source=self.source, correlation_id=correlation.ensure(), subject=subject))


@dataclass(frozen=True)
class ReportOutage:
    """停电信息报送 command (from HTTP or outage.reported.v1)."""

    outage_id: str
    outage_type: str
    scope: Scope
    planned_start: datetime
    planned_end: datetime | None
    cause: str
    reporting_unit: str
    reported_by: str
    reported_at: datetime | None = None
    publish: bool = True


async def report_outage(tenant: str, cmd: ReportOutage, *, deps: Deps) -> Outage:
    """Store the report (flagged late when short of the lead time), then publish it unless asked not to."""
    reported_at = cmd.reported_at or deps.clock.now()
    rules = LeadTimeRules.from_doc(await deps.rules.effective(tenant, LEAD_TIME, reported_at))
    verdict = evaluate_report(rules, cmd.outage_type, cmd.planned_start, reported_at)
    outage = Outage(
        tenant=tenant, outage_id=cmd.outage_id, outage_type=cmd.outage_type, scope=cmd.scope,
        planned_start=cmd.planned_start, planned_end=cmd.planned_end, cause=cmd.cause,
        reporting_unit=cmd.reporting_unit, reported_by=cmd.reported_by, reported_at=reported_at,
        late=verdict.late, required_lead_minutes=verdict.required_minutes, lead_minutes=verdict.lead_minutes,
    )
    await deps.outages.add(tenant, outage, first_revision(outage))
    if verdict.late and deps.metrics is not None:
        deps.metrics.late_report(tenant, cmd.reporting_unit)
    if cmd.publish:
        return await publish_outage(tenant, cmd.outage_id, by=cmd.reported_by, deps=deps)
    return outage


async def load(tenant: str, outage_id: str, deps: Deps) -> Outage:
    outage = await deps.outages.get(tenant, outage_id)
    if outage is None:
        raise not_found("停电信息", "outage")
    return outage


async def publish_outage(tenant: str, outage_id: str, *, by: str, deps: Deps) -> Outage:
    """发布: resolve who is affected, announce it, and queue their notices."""
    outage = await load(tenant, outage_id, deps)
    updated, revision = transition(outage, "published", by=by, at=deps.clock.now())
    recipients = await deps.directory.affected(tenant, updated.scope)
    updated = _with_counts(updated, recipients)
    await deps.outages.save(tenant, updated, revision, expected_seq=outage.seq)
    deps.index.put(updated)
    await deps.emit(tenant, events.published(updated, by, deps.tz), outage_id)
    await queue_notices(updated, NoticeKind.PUBLISHED, recipients, deps=deps)
    return updated


@dataclass(frozen=True)
class ChangeOutage:
    """停电信息变更 command: new values of the changed fields, who and why."""

    values: dict[str, Any]
    reason: str
    by: str


async def change_outage(tenant: str, outage_id: str, cmd: ChangeOutage, *, deps: Deps) -> Outage:
    """Refuse changes without the required notice; otherwise store, announce and tell who must know."""
    outage = await load(tenant, outage_id, deps)
    now = deps.clock.now()
    check_change(LeadTimeRules.from_doc(await deps.rules.effective(tenant, LEAD_TIME, now)), outage, cmd.values, now)
    updated, revision = apply_change(outage, cmd.values, by=cmd.by, at=now, reason=cmd.reason)
    if not updated.announced:
        await deps.outages.save(tenant, updated, revision, expected_seq=outage.seq)
        return updated
    recipients = await deps.directory.affected(tenant, updated.scope)
    before = {r.account_no for r in await deps.directory.affected(tenant, outage.scope)} if "scope" in revision.changed else None
    updated = _with_counts(updated, recipients)
    await deps.outages.save(tenant, updated, revision, expected_seq=outage.seq)
    deps.index.put(updated)
    await deps.emit(tenant, events.updated(updated, revision), outage_id)
    newly = [r for r in recipients if before is not None and r.account_no not in before]
    await queue_notices(updated, NoticeKind.PUBLISHED, newly, deps=deps)
    if set(revision.changed) - {"scope"}:
        fresh = {r.account_no for r in newly}
        await queue_notices(updated, NoticeKind.CHANGED, [r for r in recipients if r.account_no not in fresh], deps=deps)
    return updated


async def start_outage(tenant: str, outage_id: str, *, by: str, at: datetime | None, deps: Deps) -> Outage:
    """停电开始: power is off; nobody is re-notified (they were told before the cut)."""
    outage = await load(tenant, outage_id, deps)
    updated, revision = transition(outage, "started", by=by, at=at or deps.clock.now())
    await deps.outages.save(tenant, updated, revision, expected_seq=outage.seq)
    deps.index.put(updated)
    await deps.emit(tenant, events.started(updated, by), outage_id)
    return updated


async def restore_outage(tenant: str, outage_id: str, *, by: str, at: datetime | None, remark: str | None, deps: Deps) -> Outage:
    """送电: power is back; the affected customers get the restoration notice."""
    outage = await load(tenant, outage_id, deps)
    updated, revision = transition(outage, "restored", by=by, at=at or deps.clock.now(), reason=remark)
    await deps.outages.save(tenant, updated, revision, expected_seq=outage.seq)
    deps.index.put(updated)
    await deps.emit(tenant, events.restored(updated, by, remark), outage_id)
    await queue_notices(updated, NoticeKind.RESTORATION, await deps.directory.affected(tenant, updated.scope), deps=deps)
    return updated


async def cancel_outage(tenant: str, outage_id: str, *, by: str, reason: str, deps: Deps) -> Outage:
    """停电取消: customers who were told of the outage are told it will not happen."""
    outage = await load(tenant, outage_id, deps)
    updated, revision = transition(outage, "cancelled", by=by, at=deps.clock.now(), reason=reason)
    await deps.outages.save(tenant, updated, revision, expected_seq=outage.seq)
    deps.index.put(updated)
    await deps.emit(tenant, events.cancelled(updated, by, reason), outage_id)
    if outage.announced:
        await queue_notices(updated, NoticeKind.CANCELLED, await deps.directory.affected(tenant, updated.scope), deps=deps)
    return updated


async def queue_notices(outage: Outage, kind: NoticeKind, recipients: list[Recipient], *, deps: Deps) -> int:
    """Plan and queue one kind of notice; the queue's unique key drops anything already queued."""
    if not recipients:
        return 0
    now = deps.clock.now()
    rules = NoticeRules.from_doc(await deps.rules.effective(outage.tenant, NOTICE, now))
    return await deps.notices.enqueue(outage.tenant, plan_notices(outage, kind, recipients, now=now, rules=rules))


def _with_counts(outage: Outage, recipients: list[Recipient]) -> Outage:
    return replace(outage, affected_customers=len(recipients), important_customers=sum(1 for r in recipients if r.important))
