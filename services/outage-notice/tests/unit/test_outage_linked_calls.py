"""Calls linked to an outage: counted once per ticket; told of the restoration once, with the affected area."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from outage_fixtures import NOW, TENANT
from outage_notice.commands import DeliverDueNotices, RecordLinkedCall, ReportOutage, RestoreOutage, StartOutage
from outage_notice.domain.outage import Scope
from outage_notice.linked_calls import record_linked_call
from outage_notice.notify import deliver_due
from outage_notice.service import report_outage, restore_outage, start_outage

pytestmark = pytest.mark.unit
OUTAGE = "TD-370102-9"


async def fault_outage(deps) -> None:
    await report_outage(TENANT, ReportOutage(
        outage_id=OUTAGE, outage_type="grid_fault", scope=Scope(feeder_codes=("F-1",), area="泉城路以南"),
        planned_start=NOW, planned_end=NOW + timedelta(hours=4), cause="10kV线路故障", reporting_unit="370102",
        reported_by="user:li"), deps=deps)
    await start_outage(TENANT, StartOutage(OUTAGE, "crew:c1"), deps=deps)


def call(ticket_id: str, account_no: str | None) -> RecordLinkedCall:
    return RecordLinkedCall(outage_id=OUTAGE, ticket_id=ticket_id, account_no=account_no, at=NOW)


async def test_each_linked_ticket_counts_once_per_outage(deps):
    await fault_outage(deps)
    assert await record_linked_call(TENANT, call("T1", "3701020001"), deps=deps)
    assert not await record_linked_call(TENANT, call("T1", "3701020001"), deps=deps)  # redelivered
    await record_linked_call(TENANT, call("T2", None), deps=deps)
    await record_linked_call(TENANT, RecordLinkedCall(outage_id="TD-other", ticket_id="T3", account_no=None, at=NOW), deps=deps)
    assert await deps.calls.count(TENANT, OUTAGE) == 2
    assert await deps.calls.count("370103", OUTAGE) == 0  # another tenant's count is its own


async def test_restoration_tells_the_area_and_its_callers_once_each(deps, store, clock):
    await fault_outage(deps)
    await deliver_due(TENANT, DeliverDueNotices(), deps=deps)
    before = len(deps.gateway.sent)
    await record_linked_call(TENANT, call("T1", "3701020001"), deps=deps)  # inside the scope
    await record_linked_call(TENANT, call("T5", "3701020005"), deps=deps)  # matched by the area text only
    clock.advance(hours=3)
    await restore_outage(TENANT, RestoreOutage(OUTAGE, "crew:c1", remark="已送电"), deps=deps)
    clock.advance(hours=24)  # past any quiet hours
    await deliver_due(TENANT, DeliverDueNotices(), deps=deps)
    told = Counter(n.account_no for n, _ in deps.gateway.sent[before:])
    assert told == {"3701020001": 1, "3701020002": 1, "3701020003": 3, "3701020005": 1}  # 0003: important, every channel
    results = [e.data for e in store.outbox.published if e.type.endswith("notification.sent.v1")]
    restoration = [r for r in results if r.purpose is not None and r.purpose.value == "restoration"]
    assert {r.account_no for r in restoration} == set(told) and {r.outage_id for r in restoration} == {OUTAGE}
