"""Lead-time rules per outage type: on time, late (accepted, flagged, counted) and changes without notice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry

from outage_fixtures import NOW, TENANT
from outage_notice.commands import ChangeOutage, ReportOutage
from outage_notice.domain.outage import Scope
from outage_notice.metrics import OutageMetrics
from outage_notice.service import change_outage, report_outage
from servicekit.auth import Principal
from servicekit.errors import AppError

pytestmark = pytest.mark.unit
ADMIN = Principal(subject="u-370102-0007", tenant=TENANT, roles=frozenset({"system_maintainer"}))

# (type, required minutes): planned ≥ 7 days, orderly use ≥ 24 h, every other type ≥ 30 min.
RULES = [
    ("planned", 7 * 24 * 60),
    ("orderly_use", 24 * 60),
    ("temporary", 30),
    ("grid_fault", 30),
    ("over_capacity", 30),
    ("arrears", 30),
    ("theft", 30),
    ("contract_violation", 30),
]


def report(outage_type: str, lead: timedelta, outage_id: str = "TD-1") -> ReportOutage:
    start = NOW + lead
    return ReportOutage(
        outage_id=outage_id, outage_type=outage_type, scope=Scope(feeder_codes=("F-1",)), planned_start=start,
        planned_end=start + timedelta(hours=8), cause="10kV线路检修", reporting_unit="370102", reported_by="user:li",
    )


@pytest.mark.parametrize(("outage_type", "minutes"), RULES)
async def test_a_report_with_exactly_the_required_lead_time_is_on_time(deps, outage_type, minutes):
    outage = await report_outage(TENANT, report(outage_type, timedelta(minutes=minutes)), deps=deps)
    assert outage.late is False
    assert outage.required_lead_minutes == minutes
    assert outage.state == "published"


@pytest.mark.parametrize(("outage_type", "minutes"), RULES)
async def test_a_report_one_minute_short_is_accepted_flagged_late_and_counted_against_the_unit(deps, outage_type, minutes):
    registry = CollectorRegistry()
    deps.metrics = OutageMetrics(registry, "outage-notice")
    outage = await report_outage(TENANT, report(outage_type, timedelta(minutes=minutes - 1)), deps=deps)
    assert outage.late is True
    assert outage.state == "published"
    assert await deps.outages.late_counts(TENANT) == {"370102": 1}
    labels = {"service": "outage-notice", "tenant": TENANT, "unit": "370102"}
    assert registry.get_sample_value("hotline_late_outage_reports_total", labels) == 1


async def test_an_edited_rule_table_applies_from_its_effective_date(deps):
    table = {"rows": [{"outage_type": "*", "min_lead_minutes": 120}], "settings": {"change_notice_minutes": 60}}
    await deps.rules.save(TENANT, "outage_lead_time", table["rows"], effective_from=NOW - timedelta(minutes=1), by=ADMIN,
                          extra={"settings": table["settings"]})
    outage = await report_outage(TENANT, report("grid_fault", timedelta(minutes=90)), deps=deps)
    assert outage.late is True and outage.required_lead_minutes == 120


@pytest.mark.parametrize(
    ("field", "delta"),
    [("planned_start", timedelta(minutes=-30)), ("planned_end", timedelta(hours=2))],
)
async def test_an_earlier_cut_or_later_restoration_inside_the_hour_is_refused_field_by_field(deps, clock, field, delta):
    outage = await report_outage(TENANT, report("temporary", timedelta(minutes=100)), deps=deps)
    # 59 minutes before the announced time: the required hour of notice is no longer possible.
    anchor = outage.planned_start if field == "planned_start" else outage.planned_end
    clock.current = anchor - timedelta(minutes=59) if field == "planned_end" else outage.planned_start - timedelta(minutes=60)
    new_value = getattr(outage, field) + delta
    with pytest.raises(AppError) as refused:
        await change_outage(TENANT, ChangeOutage("TD-1", {field: new_value}, "现场延误", "user:li"), deps=deps)
    assert refused.value.status == 422
    assert [f.loc for f in refused.value.fields] == [f"body.{field}"]
    assert "60分钟" in refused.value.fields[0].message_zh
    assert (await deps.outages.get(TENANT, "TD-1")).version == 1  # nothing stored


async def test_a_later_restoration_announced_in_time_is_accepted_and_becomes_version_2(deps, clock):
    outage = await report_outage(TENANT, report("temporary", timedelta(hours=3)), deps=deps)
    clock.advance(hours=4)  # the cut has happened; restoration still 7 h away
    changed = await change_outage(
        TENANT, ChangeOutage("TD-1", {"planned_end": outage.planned_end + timedelta(hours=2)}, "发现隐患一并处理", "user:li"), deps=deps
    )
    assert changed.version == 2
    assert changed.planned_end == outage.planned_end + timedelta(hours=2)


async def test_a_later_cut_needs_no_notice(deps, clock):
    outage = await report_outage(TENANT, report("temporary", timedelta(minutes=40)), deps=deps)
    clock.advance(minutes=30)
    changed = await change_outage(
        TENANT, ChangeOutage("TD-1", {"planned_start": outage.planned_start + timedelta(hours=1)}, "人员未到位", "user:li"), deps=deps
    )
    assert changed.planned_start == outage.planned_start + timedelta(hours=1)
