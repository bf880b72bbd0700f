"""Lifecycle reported → published → started → restored, or cancelled; every change kept as a version."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from outage_fixtures import NOW, TENANT
from outage_notice import events
from outage_notice.commands import CancelOutage, ChangeOutage, PublishOutage, ReportOutage, RestoreOutage, StartOutage
from outage_notice.domain.outage import OutageState, Revision, Scope
from outage_notice.service import (
    cancel_outage,
    change_outage,
    publish_outage,
    report_outage,
    restore_outage,
    start_outage,
)
from servicekit.errors import AppError

pytestmark = pytest.mark.unit


def planned(publish: bool = True) -> ReportOutage:
    start = NOW + timedelta(days=8)
    return ReportOutage(
        outage_id="TD-370102-1", outage_type="planned", scope=Scope(feeder_codes=("F-1",), area="泉城路以南"),
        planned_start=start, planned_end=start + timedelta(hours=9), cause="10kV泉城路112线路检修",
        reporting_unit="370102", reported_by="user:li", publish=publish,
    )


async def test_full_lifecycle_keeps_each_revision_with_who_when_why_and_events(deps, store, clock):
    await report_outage(TENANT, planned(publish=False), deps=deps)
    published = await publish_outage(TENANT, PublishOutage("TD-370102-1", "user:wang"), deps=deps)
    assert published.affected_customers == 3 and published.important_customers == 1
    clock.advance(days=1)
    new_end = published.planned_end + timedelta(hours=2)
    await change_outage(TENANT, ChangeOutage("TD-370102-1", {"planned_end": new_end}, "增加检修项目", "user:li"), deps=deps)
    clock.current = published.planned_start
    await start_outage(TENANT, StartOutage("TD-370102-1", "crew:c1"), deps=deps)
    clock.advance(hours=10)
    done = await restore_outage(TENANT, RestoreOutage("TD-370102-1", "crew:c1", remark="已送电"), deps=deps)

    assert done.state == "restored"
    revisions = await deps.outages.revisions(TENANT, "TD-370102-1")
    assert [r.action for r in revisions] == ["reported", "published", "changed", "started", "restored"]
    change = revisions[2]
    assert (change.by, change.reason, change.version) == ("user:li", "增加检修项目", 2)
    assert change.changed == {"planned_end": {"old": published.planned_end, "new": new_end}}
    assert change.at == NOW + timedelta(days=1)
    types = [e.type.split(".")[3] for e in store.outbox.published]
    assert types == ["published", "updated", "started", "restored"]
    started = store.outbox.published[2].data
    assert started.scope.feeder_codes == ["F-1"] and started.planned_end == new_end  # intake can match on it


async def test_cancel_needs_a_reason_and_ends_the_lifecycle(deps, store):
    await report_outage(TENANT, planned(), deps=deps)
    with pytest.raises(AppError) as refused:
        await cancel_outage(TENANT, CancelOutage("TD-370102-1", "user:li", ""), deps=deps)
    assert refused.value.fields[0].loc == "body.reason"
    cancelled = await cancel_outage(TENANT, CancelOutage("TD-370102-1", "user:li", "天气原因取消"), deps=deps)
    assert cancelled.state == "cancelled"
    with pytest.raises(AppError) as again:
        await start_outage(TENANT, StartOutage("TD-370102-1", "crew:c1"), deps=deps)
    assert again.value.status == 409
    assert store.outbox.published[-1].data.reason == "天气原因取消"
    assert await deps.index.current(TENANT) == []


async def test_restoring_an_outage_that_never_started_is_refused(deps):
    await report_outage(TENANT, planned(), deps=deps)
    with pytest.raises(AppError) as refused:
        await restore_outage(TENANT, RestoreOutage("TD-370102-1", "crew:c1"), deps=deps)
    assert refused.value.status == 409 and refused.value.code == "invalid_transition"


async def test_a_duplicate_outage_id_is_refused_and_announces_and_queues_nothing(deps, store):
    await report_outage(TENANT, planned(), deps=deps)
    events, queued = list(store.outbox.published), dict(store.notices.queued)
    with pytest.raises(AppError) as refused:
        await report_outage(TENANT, planned(), deps=deps)
    assert refused.value.status == 409 and refused.value.code == "duplicate_outage"
    assert store.outbox.published == events and store.notices.queued == queued


async def test_a_report_published_at_once_is_stored_with_its_event_and_notices_in_one_commit(deps, store):
    outage = await report_outage(TENANT, planned(), deps=deps)
    [event] = store.outbox.published
    assert (event.type, event.subject, event.tenant, event.source) == (
        "cn.95598.outage.published.v1", "TD-370102-1", TENANT, "/hotline/outage-notice")
    assert event.data.affected_customers == outage.affected_customers == 3
    assert [r.action for r in await deps.outages.revisions(TENANT, "TD-370102-1")] == ["reported", "published"]
    assert len(store.notices.queued) == 5  # two residents, the important customer on three channels


async def test_a_change_that_lost_a_race_stores_announces_and_queues_nothing(deps, store):
    await report_outage(TENANT, planned(), deps=deps)
    events, queued = list(store.outbox.published), dict(store.notices.queued)
    stored = await deps.outages.get(TENANT, "TD-370102-1")

    class Racing:
        """A reader that returns what it read before another replica started the outage."""

        async def get(self, tenant, outage_id):
            return stored

    await start_outage(TENANT, StartOutage("TD-370102-1", "crew:c1", at=stored.planned_start), deps=deps)
    late = deps.uow(TENANT)
    late.outages.reader = Racing()
    deps.uow = lambda tenant: late
    with pytest.raises(AppError) as refused:
        await cancel_outage(TENANT, CancelOutage("TD-370102-1", "user:li", "天气原因取消"), deps=deps)
    assert refused.value.code == "stale_outage"
    assert [e.type.split(".")[3] for e in store.outbox.published[len(events):]] == ["started"]
    assert store.notices.queued == queued and (await deps.outages.get(TENANT, "TD-370102-1")).state == "started"


async def test_a_wider_scope_tells_only_the_newly_affected_and_updates_the_count(deps, store, clock):
    await report_outage(TENANT, planned(), deps=deps)
    before = set(store.notices.queued)
    changed = await change_outage(
        TENANT,
        ChangeOutage("TD-370102-1", {"scope": Scope(feeder_codes=("F-1", "F-2"), area="泉城路以南")}, "扩大检修范围", "user:li"), deps=deps,
    )
    new_keys = set(store.notices.queued) - before
    assert changed.affected_customers == 4
    assert {(k[2], k[3]) for k in new_keys} == {("outage_notice", "3701020004")}
    event = store.outbox.published[-1].data
    assert event.changed_fields == ["scope", "affected_customers"] and event.version == 2


async def test_an_event_about_nothing_the_unit_of_work_writes_fails_its_commit_and_nothing_is_stored(deps, store):
    outage = await report_outage(TENANT, planned(publish=False), deps=deps)
    with pytest.raises(ValueError, match="no document"):
        async with deps.uow(TENANT) as uow:
            started = replace(outage, state=OutageState.STARTED, started_at=NOW, seq=outage.seq + 1)
            uow.outages.save(started, Revision(started.seq, "started", NOW, "crew:c1"), expected_seq=outage.seq)
            uow.record(events.started(started, "crew:c1"), subject="TD-elsewhere")
            await uow.commit()
    assert store.outbox.published == [] and (await deps.outages.get(TENANT, outage.outage_id)).state == "reported"
