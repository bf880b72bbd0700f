"""Lifecycle reported → published → started → restored, or cancelled; every change kept as a version."""

from __future__ import annotations

from datetime import timedelta

import pytest

from outage_fixtures import NOW, TENANT
from outage_notice.domain.outage import Scope
from outage_notice.service import (
    ChangeOutage,
    ReportOutage,
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


async def test_full_lifecycle_keeps_each_revision_with_who_when_why_and_events(deps, clock):
    await report_outage(TENANT, planned(publish=False), deps=deps)
    published = await publish_outage(TENANT, "TD-370102-1", by="user:wang", deps=deps)
    assert published.affected_customers == 3 and published.important_customers == 1
    clock.advance(days=1)
    new_end = published.planned_end + timedelta(hours=2)
    await change_outage(TENANT, "TD-370102-1", ChangeOutage({"planned_end": new_end}, "增加检修项目", "user:li"), deps=deps)
    clock.current = published.planned_start
    await start_outage(TENANT, "TD-370102-1", by="crew:c1", at=None, deps=deps)
    clock.advance(hours=10)
    done = await restore_outage(TENANT, "TD-370102-1", by="crew:c1", at=None, remark="已送电", deps=deps)

    assert done.state == "restored"
    revisions = await deps.outages.revisions(TENANT, "TD-370102-1")
    assert [r.action for r in revisions] == ["reported", "published", "changed", "started", "restored"]
    change = revisions[2]
    assert (change.by, change.reason, change.version) == ("user:li", "增加检修项目", 2)
    assert change.changed == {"planned_end": {"old": published.planned_end, "new": new_end}}
    assert change.at == NOW + timedelta(days=1)
    types = [e.type.split(".")[3] for e in deps.published]
    assert types == ["published", "updated", "started", "restored"]
    started = deps.published[2].data
    assert started.scope.feeder_codes == ["F-1"] and started.planned_end == new_end  # intake can match on it


async def test_cancel_needs_a_reason_and_ends_the_lifecycle(deps):
    await report_outage(TENANT, planned(), deps=deps)
    with pytest.raises(AppError) as refused:
        await cancel_outage(TENANT, "TD-370102-1", by="user:li", reason="", deps=deps)
    assert refused.value.fields[0].loc == "body.reason"
    cancelled = await cancel_outage(TENANT, "TD-370102-1", by="user:li", reason="天气原因取消", deps=deps)
    assert cancelled.state == "cancelled"
    with pytest.raises(AppError) as again:
        await start_outage(TENANT, "TD-370102-1", by="crew:c1", at=None, deps=deps)
    assert again.value.status == 409
    assert deps.published[-1].data.reason == "天气原因取消"
    assert await deps.index.current(TENANT) == []


async def test_restoring_an_outage_that_never_started_is_refused(deps):
    await report_outage(TENANT, planned(), deps=deps)
    with pytest.raises(AppError) as refused:
        await restore_outage(TENANT, "TD-370102-1", by="crew:c1", at=None, remark=None, deps=deps)
    assert refused.value.status == 409 and refused.value.code == "invalid_transition"


async def test_a_duplicate_outage_id_is_refused(deps):
    await report_outage(TENANT, planned(), deps=deps)
    with pytest.raises(AppError) as refused:
        await report_outage(TENANT, planned(), deps=deps)
    assert refused.value.status == 409


async def test_a_wider_scope_tells_only_the_newly_affected_and_updates_the_count(deps, clock):
    await report_outage(TENANT, planned(), deps=deps)
    before = set(deps.notices.queued)
    changed = await change_outage(
        TENANT, "TD-370102-1",
        ChangeOutage({"scope": Scope(feeder_codes=("F-1", "F-2"), area="泉城路以南")}, "扩大检修范围", "user:li"), deps=deps,
    )
    new_keys = set(deps.notices.queued) - before
    assert changed.affected_customers == 4
    assert {(k[2], k[3]) for k in new_keys} == {("outage_notice", "3701020004")}
    event = deps.published[-1].data
    assert event.changed_fields == ["scope", "affected_customers"] and event.version == 2
