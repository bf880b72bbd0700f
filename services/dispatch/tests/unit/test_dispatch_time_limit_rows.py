"""Every time limit of docs/RULES.md as the shipped rows give it (时限), read through the order's clock view."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from devstack.devtoken import ensure_dev_issuer, issue_token
from dispatch.app import create_app
from dispatch.domain.clocks import evaluate
from dispatch.service import take_new_ticket
from dispatch.settings import Settings
from dispatch_builders import local, make_order, new_ticket
from servicekit.runtime import Runtime

pytestmark = pytest.mark.unit
T = "370102"
START = local(2026, 11, 26, 9, 0)  # a Thursday; 2027-01-01 (Friday) is the only holiday in reach

# (facts, clock, rule id, due): RULES.md numbers, due dates counted by hand on the 2026/2027 calendar.
ROWS = [
    ({"business_type": "fault_repair", "area_class": "urban"}, "arrival", "tl-repair-arrival-urban", START + timedelta(minutes=45)),
    ({"business_type": "fault_repair", "area_class": "rural"}, "arrival", "tl-repair-arrival-rural", START + timedelta(minutes=90)),
    ({"business_type": "fault_repair", "area_class": "remote"}, "arrival", "tl-repair-arrival-remote", START + timedelta(hours=2)),
    ({"business_type": "fault_repair", "important": True}, "dispatch", "tl-repair-dispatch-important", START + timedelta(minutes=5)),
    ({"business_type": "fault_repair", "important": True}, "arrival", "tl-repair-arrival-important", START + timedelta(minutes=30)),
    ({"business_type": "complaint", "sub_type": "business"}, "first_contact", "tl-complaint-first-contact", START + timedelta(hours=24)),
    ({"business_type": "complaint", "sub_type": "business"}, "reply", "tl-complaint-reply", local(2026, 12, 2, 9)),
    ({"business_type": "report"}, "reply", "tl-report-reply", local(2026, 12, 9, 9)),
    ({"business_type": "complaint", "referred_from": "12398"}, "reply", "tl-complaint-reply-12398", local(2026, 12, 10, 9)),
    ({"business_type": "complaint", "referred_from": "12345"}, "reply", "tl-complaint-reply-12345", START + timedelta(days=7)),
    ({"business_type": "complaint", "referred_from": "other"}, "reply", "tl-complaint-reply-referred-other", START + timedelta(days=10)),
    ({"business_type": "service_request", "sub_type": "reconnection"}, "restoration", "tl-service-reconnection", START + timedelta(hours=24)),
    ({"business_type": "service_request", "sub_type": "appliance_damage"}, "arrival", "tl-service-appliance", START + timedelta(hours=24)),
    ({"business_type": "service_request", "sub_type": "meter_abnormal"}, "reply", "tl-service-meter", local(2026, 12, 2, 9)),
    ({"business_type": "service_request", "sub_type": "meter_reading_anomaly"}, "reply", "tl-service-meter-reading", local(2026, 12, 4, 9)),
    ({"business_type": "service_request", "sub_type": "other"}, "reply", "tl-service-other", local(2026, 12, 3, 9)),
    ({"business_type": "service_request", "sub_type": "meter_check"}, "reply", "tl-service-meter-calibration", local(2026, 12, 3, 9)),
    ({"business_type": "service_request", "sub_type": "meter_data_anomaly"}, "reply", "tl-service-meter-data", local(2026, 12, 3, 9)),
    ({"business_type": "service_request", "sub_type": "new_connection_residential"}, "reply", "tl-new-connection-residential", local(2026, 12, 3, 9)),
    ({"business_type": "service_request", "sub_type": "new_connection_low_voltage"}, "reply", "tl-new-connection-low-voltage", local(2026, 12, 4, 9)),
    ({"business_type": "service_request", "sub_type": "new_connection_hv_single"}, "reply", "tl-new-connection-hv-single", local(2026, 12, 28, 9)),
    ({"business_type": "service_request", "sub_type": "new_connection_hv_dual"}, "reply", "tl-new-connection-hv-dual", local(2027, 1, 12, 9)),
]


@pytest.fixture
async def api(tmp_path, deps):
    key = ensure_dev_issuer(tmp_path)
    settings = Settings(hosted_tenants=["37", "3701", T], auth_jwks_path=str(tmp_path / "jwks.json"))
    app = create_app(settings, Runtime.build(settings), start_dependencies=False, deps=deps)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dispatch") as client:
        client.headers["authorization"] = f"Bearer {issue_token(key, subject='u-370102-0010', tenant=T, roles=['unit_staff'])}"
        yield client


@pytest.mark.parametrize(("facts", "clock_name", "rule_id", "due"), ROWS, ids=[r[2] + "-" + r[1] for r in ROWS])
async def test_each_rules_time_limit_shows_as_the_orders_due_time(api, deps, facts, clock_name, rule_id, due):
    facts = {"area_class": None, "sub_type": None, "station_code": None} | facts
    await take_new_ticket(T, new_ticket("370102-20261126-000042", accepted_at=START, **facts), deps=deps)
    view = await api.get("/api/v1/work-orders/370102-20261126-000042/clocks")
    assert view.status_code == 200, view.text
    clocks = {c["clock"]: c for c in view.json()["clocks"]}
    assert clocks[clock_name]["rule_id"] == rule_id
    assert clocks[clock_name]["due_at"] == due.isoformat()
    # A working-day count that reaches 2027 is provisional: no State Council notice for 2027 is loaded.
    assert clocks[clock_name]["provisional"] is (due.year == 2027 and clocks[clock_name]["limit_working_days"] is not None)


@pytest.mark.parametrize(("facts", "start", "clock_name", "rule_id", "limit"), [
    ({"area_class": "urban"}, "on_site", "restoration", "tl-repair-restoration-urban", timedelta(hours=3)),
    ({"area_class": "rural"}, "on_site", "restoration", "tl-repair-restoration-rural", timedelta(hours=4)),
    ({"business_type": "service_request", "sub_type": "reconnection"}, "repaired", "reply", "tl-service-reconnection-reply",
     timedelta(days=1)),  # power back on Thursday 10:00: reply by Friday 10:00, one working day
])
def test_clocks_that_start_at_a_later_milestone(clock_rules, calendar, facts, start, clock_name, rule_id, limit):
    at = START + timedelta(hours=1)
    order = make_order(**facts)
    before = {s.clock: s.rule_id for s in evaluate(order, clock_rules, calendar, at)}
    assert before.get(clock_name) != rule_id  # not running before its start milestone
    order.milestones[start] = at
    status = {s.clock: s for s in evaluate(order, clock_rules, calendar, at)}[clock_name]
    assert (status.rule_id, status.due_at) == (rule_id, (at + limit).timestamp())


async def test_the_clock_view_is_tenant_scoped(api, deps, tmp_path):
    await take_new_ticket(T, new_ticket("370102-20261126-000043"), deps=deps)
    key = ensure_dev_issuer(tmp_path)
    sibling = issue_token(key, subject="u-370124-0001", tenant="370124", roles=["unit_staff"])
    refused = await api.get("/api/v1/work-orders/370102-20261126-000043/clocks", headers={"authorization": f"Bearer {sibling}"})
    assert refused.status_code == 404 and "clocks" not in refused.text
