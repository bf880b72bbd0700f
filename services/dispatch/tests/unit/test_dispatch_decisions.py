"""Routing, crew choice, reply audit, handover selection and rule validation."""

from __future__ import annotations

import pytest

from dispatch.domain.handover import ShiftWindow, select_for_handover
from dispatch.domain.model import State
from dispatch.domain.reply_audit import audit_reply
from dispatch.domain.routing import choose_crew, needs_crew, route
from dispatch.domain.rules import validate_table
from dispatch_builders import local, make_order

pytestmark = pytest.mark.unit


def test_routing_prefers_the_most_specific_rule_and_falls_back(defaults):
    rows = [*defaults["routing"], {"id": "route-s02-to-city", "business_type": "fault_repair",
                                   "station_code": "370102-S02", "to_unit": "3701", "to_station": "3701-S99"}]
    assert route(make_order(station_code="370102-S02"), rows).to_unit == "3701"
    plain = route(make_order(), rows)
    assert (plain.rule_id, plain.to_unit, plain.station_code) == ("route-repair", "370102", "370102-S01")
    assert route(make_order(important=True), rows).rule_id == "route-repair-important"
    assert route(make_order(business_type="praise"), rows).rule_id == "route-fallback"


def test_crew_choice_takes_the_least_busy_on_duty_crew():
    assert choose_crew(["S01-C2", "S01-C1"], {"S01-C1": 2, "S01-C2": 1}) == "S01-C2"
    assert choose_crew(["S01-C2", "S01-C1"], {}) == "S01-C1"
    assert choose_crew([], {"S01-C1": 0}) is None


def test_repairs_waiting_on_an_outage_get_no_crew_but_released_ones_do():
    outage = "TD-370102-20261126-0001"
    assert needs_crew(make_order()) and not needs_crew(make_order(outage_id=outage, state=State.AWAITING_OUTAGE))
    assert needs_crew(make_order(outage_id=outage, state=State.DISPATCHED))  # released after the outage's end


def _repair_reply(**kw):
    reply = {"kind": "repair", "cause": "树障", "fault_class": {"level1": "低压故障"}, "handler": "crew:a",
             "departed_at": local(2026, 11, 26, 9, 5), "arrived_at": local(2026, 11, 26, 9, 30),
             "restored_at": local(2026, 11, 26, 10, 30)}
    return reply | kw


def test_consistent_repair_reply_passes(defaults):
    fit = {r["sub_type"]: r["level1"] for r in defaults["reply_audit"]}
    order = make_order(sub_type="no_power_single_household", reply=_repair_reply())
    assert audit_reply(order, local(2026, 11, 26, 11), fit) == []


@pytest.mark.parametrize(("change", "needle"), [
    ({"restored_at": local(2026, 11, 26, 9, 20)}, "restoration before arrival"),
    ({"arrived_at": local(2026, 11, 26, 8, 0), "departed_at": local(2026, 11, 26, 7, 0)}, "outside the order's life"),
    ({"fault_class": {"level1": "高压故障"}}, "does not fit the fault type"),
    ({"cause": None}, "required field cause"),
    ({"restored_at": None}, "restoration time missing"),
])
def test_inconsistent_repair_reply_fails_with_reasons(defaults, change, needle):
    fit = {r["sub_type"]: r["level1"] for r in defaults["reply_audit"]}
    order = make_order(sub_type="no_power_single_household", reply=_repair_reply(**change))
    reasons = audit_reply(order, local(2026, 11, 26, 11), fit)
    assert any(needle in r for r in reasons), reasons


def test_complaint_reply_needs_the_customer_contact_time():
    order = make_order(business_type="complaint", reply={"content": "已解释", "outcome": "explained", "by": "staff:a"})
    assert any("customer-contact" in r for r in audit_reply(order, local(2026, 11, 27), {}))


def test_handover_lists_open_orders_of_the_shift_nearest_deadline_first():
    shift = ShiftWindow("2026-11-26/day", local(2026, 11, 26, 8), local(2026, 11, 26, 20))
    mine = make_order(ticket_id="A", created_at=local(2026, 11, 25, 22), first_contact_owner="agent:u-37-0001")
    during = make_order(ticket_id="B", created_at=local(2026, 11, 26, 9), first_contact_owner="agent:u-37-0009")
    closed = make_order(ticket_id="C", created_at=local(2026, 11, 26, 10), state=State.CLOSED)
    other = make_order(ticket_id="D", created_at=local(2026, 11, 26, 21), first_contact_owner="agent:u-37-0009")
    due = {"A": local(2026, 11, 27).timestamp(), "B": local(2026, 11, 26, 21).timestamp()}
    picked = select_for_handover([mine, during, closed, other], shift, frozenset({"agent:u-37-0001"}), due)
    assert [o.ticket_id for o in picked] == ["B", "A"]


def test_defaults_validate_and_bad_tables_are_refused(defaults):
    for name in ("routing", "timelimits", "warnings", "reply_audit", "calendar", "shifts"):
        assert validate_table(name, defaults[name], "370102") == [], name
    no_fallback = [r for r in defaults["routing"] if r["id"] != "route-fallback"]
    assert any("fallback" in p[2] for p in validate_table("routing", no_fallback, "370102"))
    foreign = [*defaults["routing"], {"id": "x", "to_unit": "3702"}]
    assert validate_table("routing", foreign, "370102")[0][0] == "rows.4.to_unit"
    two_limits = [{"id": "x", "clock": "arrival", "business_type": "fault_repair", "stop": ["on_site"],
                   "limit_minutes": 5, "limit_working_days": 1}]
    assert validate_table("timelimits", two_limits, "370102")[0][0] == "rows.0.limit"
    assert validate_table("warnings", [{"id": "w", "levels": [50, 40, 90, 100]}], "37")
    assert validate_table("calendar", [{"date": "2026-13-01", "workday": True}], "37")
