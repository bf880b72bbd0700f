"""Use cases of outage information (停电信息): report, publish, change, start, restore, cancel.

Each takes the tenant and a command, decides through the domain, and commits one unit of work: the
outage, its revisions, its events and the notices it queues are stored together (`outage_notice.uow`);
the process's outbox relay publishes the events. The in-memory index follows what was committed.
"""

from __future__ import annotations

from dataclasses import replace

from outage_notice import events
from outage_notice.commands import (
    CancelOutage,
    ChangeOutage,
    PublishOutage,
    ReportOutage,
    RestoreOutage,
    StartOutage,
)
from outage_notice.deps import Deps
from outage_notice.domain.leadtime import LeadTimeRules, check_change, evaluate_report
from outage_notice.domain.notices import NoticeKind, NoticeRules, Recipient, plan_notices
from outage_notice.domain.outage import Outage, apply_change, first_revision, transition
from outage_notice.linked_calls import with_callers
from outage_notice.uow import OutageUnitOfWork
from servicekit.errors import not_found

LEAD_TIME = "outage_lead_time"
NOTICE = "outage_notice"


async def report_outage(tenant: str, cmd: ReportOutage, *, deps: Deps) -> Outage:
    """Store the report (flagged late when short of the lead time), published in the same write unless asked not to."""
    reported_at = cmd.reported_at or deps.clock.now()
    rules = LeadTimeRules.from_doc(await deps.rules.active_version(tenant, LEAD_TIME, reported_at))
    verdict = evaluate_report(rules, cmd.outage_type, cmd.planned_start, reported_at)
    outage = Outage(
        tenant=tenant, outage_id=cmd.outage_id, outage_type=cmd.outage_type, scope=cmd.scope,
        planned_start=cmd.planned_start, planned_end=cmd.planned_end, cause=cmd.cause,
        reporting_unit=cmd.reporting_unit, reported_by=cmd.reported_by, reported_at=reported_at,
        late=verdict.late, required_lead_minutes=verdict.required_minutes, lead_minutes=verdict.lead_minutes,
    )
    async with deps.uow(tenant) as uow:
        uow.outages.add(outage, first_revision(outage))
        if cmd.publish:
            outage = await _publish(uow, outage, by=cmd.reported_by, deps=deps)
        await uow.commit()
    if verdict.late and deps.metrics is not None:
        deps.metrics.late_report(tenant, cmd.reporting_unit)
    deps.index.put(outage)
    return outage


async def load(tenant: str, outage_id: str, deps: Deps) -> Outage:
    """One stored outage, or 404."""
    outage = await deps.outages.get(tenant, outage_id)
    if outage is None:
        raise not_found("停电信息", "outage")
    return outage


async def publish_outage(tenant: str, cmd: PublishOutage, *, deps: Deps) -> Outage:
    """发布: resolve who is affected, announce it, and queue their notices."""
    async with deps.uow(tenant) as uow:
        updated = await _publish(uow, await _load(uow, cmd.outage_id), by=cmd.by, deps=deps)
        await uow.commit()
    deps.index.put(updated)
    return updated


async def _publish(uow: OutageUnitOfWork, outage: Outage, *, by: str, deps: Deps) -> Outage:
    updated, revision = transition(outage, "published", by=by, at=deps.clock.now())
    recipients = await deps.directory.affected(uow.tenant, updated.scope)
    updated = _with_counts(updated, recipients)
    uow.outages.save(updated, revision, expected_seq=outage.seq)
    uow.record(events.published(updated, by, deps.tz), subject=updated.outage_id)
    await queue_notices(uow, updated, NoticeKind.PUBLISHED, recipients, deps=deps)
    return updated


async def change_outage(tenant: str, cmd: ChangeOutage, *, deps: Deps) -> Outage:
    """Refuse changes without the required notice; otherwise store, announce and tell who must know."""
    async with deps.uow(tenant) as uow:
        outage = await _load(uow, cmd.outage_id)
        now = deps.clock.now()
        check_change(LeadTimeRules.from_doc(await deps.rules.active_version(tenant, LEAD_TIME, now)), outage, cmd.values, now)
        updated, revision = apply_change(outage, cmd.values, by=cmd.by, at=now, reason=cmd.reason)
        if updated.announced:
            recipients = await deps.directory.affected(tenant, updated.scope)
            before = None
            if "scope" in revision.changed:
                before = {r.account_no for r in await deps.directory.affected(tenant, outage.scope)}
            updated = _with_counts(updated, recipients)
            uow.record(events.updated(updated, revision), subject=updated.outage_id)
            newly = [r for r in recipients if before is not None and r.account_no not in before]
            await queue_notices(uow, updated, NoticeKind.PUBLISHED, newly, deps=deps)
            if set(revision.changed) - {"scope"}:
                fresh = {r.account_no for r in newly}
                told = [r for r in recipients if r.account_no not in fresh]
                await queue_notices(uow, updated, NoticeKind.CHANGED, told, deps=deps)
        uow.outages.save(updated, revision, expected_seq=outage.seq)
        await uow.commit()
    deps.index.put(updated)
    return updated


async def start_outage(tenant: str, cmd: StartOutage, *, deps: Deps) -> Outage:
    """停电开始: power is off; nobody is re-notified (they were told before the cut)."""
    async with deps.uow(tenant) as uow:
        outage = await _load(uow, cmd.outage_id)
        updated, revision = transition(outage, "started", by=cmd.by, at=cmd.at or deps.clock.now())
        uow.outages.save(updated, revision, expected_seq=outage.seq)
        uow.record(events.started(updated, cmd.by), subject=updated.outage_id)
        await uow.commit()
    deps.index.put(updated)
    return updated


async def restore_outage(tenant: str, cmd: RestoreOutage, *, deps: Deps) -> Outage:
    """送电: power is back; the affected customers get the restoration notice."""
    async with deps.uow(tenant) as uow:
        outage = await _load(uow, cmd.outage_id)
        updated, revision = transition(outage, "restored", by=cmd.by, at=cmd.at or deps.clock.now(), reason=cmd.remark)
        uow.outages.save(updated, revision, expected_seq=outage.seq)
        uow.record(events.restored(updated, cmd.by, cmd.remark), subject=updated.outage_id)
        # The affected area and the outage's callers, each customer once (linked_calls).
        told = await with_callers(tenant, updated.outage_id, await deps.directory.affected(tenant, updated.scope), deps=deps)
        await queue_notices(uow, updated, NoticeKind.RESTORATION, told, deps=deps)
        await uow.commit()
    deps.index.put(updated)
    return updated


async def cancel_outage(tenant: str, cmd: CancelOutage, *, deps: Deps) -> Outage:
    """停电取消: customers who were told of the outage are told it will not happen."""
    async with deps.uow(tenant) as uow:
        outage = await _load(uow, cmd.outage_id)
        updated, revision = transition(outage, "cancelled", by=cmd.by, at=deps.clock.now(), reason=cmd.reason)
        uow.outages.save(updated, revision, expected_seq=outage.seq)
        uow.record(events.cancelled(updated, cmd.by, cmd.reason), subject=updated.outage_id)
        if outage.announced:
            told = await deps.directory.affected(tenant, updated.scope)
            await queue_notices(uow, updated, NoticeKind.CANCELLED, told, deps=deps)
        await uow.commit()
    deps.index.put(updated)
    return updated


async def queue_notices(
    uow: OutageUnitOfWork, outage: Outage, kind: NoticeKind, recipients: list[Recipient], *, deps: Deps
) -> int:
    """Plan one kind of notice into the unit of work; returns the notices planned (the ledger drops repeats on commit)."""
    if not recipients:
        return 0
    now = deps.clock.now()
    rules = NoticeRules.from_doc(await deps.rules.active_version(outage.tenant, NOTICE, now))
    planned = plan_notices(outage, kind, recipients, now=now, rules=rules)
    uow.notices.enqueue(planned)
    return len(planned)


async def _load(uow: OutageUnitOfWork, outage_id: str) -> Outage:
    outage = await uow.outages.get(outage_id)
    if outage is None:
        raise not_found("停电信息", "outage")
    return outage


def _with_counts(outage: Outage, recipients: list[Recipient]) -> Outage:
    return replace(outage, affected_customers=len(recipients), important_customers=sum(1 for r in recipients if r.important))
