"""Every time limit of docs/RULES.md on the running stack: an order in through intake's API, its due time out of dispatch's."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.e2e.scenario import TENANT, Scenario
from tests.e2e.time_limit_checks import add_working_days, clocks, schedule, seeded_customers

pytestmark = pytest.mark.e2e

# (RULES row, order body, clock, rule id, limit): minutes or ("wd", working days).
ROWS: list[tuple[str, dict[str, Any], str, str, Any]] = [
    ("repair arrival urban 45 min", {"business_type": "fault_repair", "sub_type": "no_power_single_household", "$area": "urban"},
     "arrival", "tl-repair-arrival-urban", 45),
    ("repair arrival rural 90 min", {"business_type": "fault_repair", "sub_type": "no_power_single_household", "$area": "rural"},
     "arrival", "tl-repair-arrival-rural", 90),
    ("repair arrival remote 2 h", {"business_type": "fault_repair", "sub_type": "no_power_single_household", "$area": "remote"},
     "arrival", "tl-repair-arrival-remote", 120),
    ("important user: dispatched in 5 min", {"business_type": "fault_repair", "sub_type": "low_voltage", "$important": True},
     "dispatch", "tl-repair-dispatch-important", 5),
    ("important user: on site in 30 min", {"business_type": "fault_repair", "sub_type": "voltage_fluctuation", "$important": True},
     "arrival", "tl-repair-arrival-important", 30),
    ("complaint first contact 24 h", {"business_type": "complaint", "sub_type": "service_conduct"},
     "first_contact", "tl-complaint-first-contact", 1440),
    ("complaint answered 4 working days", {"business_type": "complaint", "sub_type": "business"},
     "reply", "tl-complaint-reply", ("wd", 4)),
    ("report answered 9 working days", {"business_type": "report", "sub_type": "electricity_theft"}, "reply", "tl-report-reply", ("wd", 9)),
    ("complaint via 12398: 10 working days", {"business_type": "complaint", "sub_type": "supply_quality", "referred_from": "12398"},
     "reply", "tl-complaint-reply-12398", ("wd", 10)),
    ("complaint via 12345: 7 days", {"business_type": "complaint", "sub_type": "outage", "referred_from": "12345"},
     "reply", "tl-complaint-reply-12345", 7 * 1440),
    ("complaint via another channel: 10 days", {"business_type": "complaint", "sub_type": "grid_construction", "referred_from": "other"},
     "reply", "tl-complaint-reply-referred-other", 10 * 1440),
    ("reconnection: power back in 24 h", {"business_type": "service_request", "sub_type": "reconnection"},
     "restoration", "tl-service-reconnection", 1440),
    ("damaged appliance: on site in 24 h", {"business_type": "service_request", "sub_type": "appliance_damage"},
     "arrival", "tl-service-appliance", 1440),
    ("meter abnormal 4 working days", {"business_type": "service_request", "sub_type": "meter_abnormal"},
     "reply", "tl-service-meter", ("wd", 4)),
    ("meter-reading anomaly 6 working days", {"business_type": "service_request", "sub_type": "meter_reading_anomaly"},
     "reply", "tl-service-meter-reading", ("wd", 6)),
    ("other service request 5 working days", {"business_type": "service_request", "sub_type": "other"},
     "reply", "tl-service-other", ("wd", 5)),
    ("meter calibration result 5 working days", {"business_type": "service_request", "sub_type": "meter_check"},
     "reply", "tl-service-meter-calibration", ("wd", 5)),
    ("meter-data anomaly answered 5 working days", {"business_type": "service_request", "sub_type": "meter_data_anomaly"},
     "reply", "tl-service-meter-data", ("wd", 5)),
    ("new connection residential 5 wd", {"business_type": "service_request", "sub_type": "new_connection_residential"},
     "reply", "tl-new-connection-residential", ("wd", 5)),
    ("new connection low-voltage non-residential 6 wd", {"business_type": "service_request", "sub_type": "new_connection_low_voltage"},
     "reply", "tl-new-connection-low-voltage", ("wd", 6)),
    ("new connection HV single source 22 wd", {"business_type": "service_request", "sub_type": "new_connection_hv_single"},
     "reply", "tl-new-connection-hv-single", ("wd", 22)),
    ("new connection HV dual source 32 wd", {"business_type": "service_request", "sub_type": "new_connection_hv_dual"},
     "reply", "tl-new-connection-hv-dual", ("wd", 32)),
]


@pytest.fixture(scope="module")
def scenario(stack) -> Scenario:
    return Scenario(stack)


@pytest.fixture(scope="module")
def people(scenario):
    """Distinct customers per row (one open order per customer and type), by area class and importance."""
    pools = {key: seeded_customers(scenario, **query) for key, query in {
        "urban": {"tenant": TENANT, "area_class": "urban", "important": False}, "rural": {"area_class": "rural", "important": False},
        "remote": {"area_class": "remote", "important": False}, "important": {"important": True},
    }.items()}
    for name, pool in pools.items():
        assert pool, f"the demo seed has no {name} customer: its row cannot be checked"
    return pools


def _body(row: dict[str, Any], people: dict[str, list[dict[str, Any]]], used: set[str]) -> dict[str, Any]:
    pool = people["important"] if row.get("$important") else people[row.get("$area", "urban")]
    person = next(p for p in pool if p["account_no"] not in used)
    used.add(person["account_no"])
    body = {k: v for k, v in row.items() if not k.startswith("$")}
    return body | {"channel": "hotline", "account_no": person["account_no"], "contact_phone": person["phone"],
                   "summary": f"时限验证：{row['sub_type']}"}


def test_every_rules_time_limit_is_the_due_time_dispatch_shows(scenario, people):
    is_workday, used, seen = schedule(scenario), set(), []
    for name, row, clock, rule_id, limit in ROWS:
        ticket = scenario.ticket(_body(row, people, used))
        assert ticket["created"] is True and ticket["referred_from"] == row.get("referred_from"), (name, ticket)
        shown = clocks(scenario, ticket["ticket_id"], clock)
        assert shown["rule_id"] == rule_id, (name, shown)
        started = datetime.fromisoformat(shown["started_at"])
        assert abs((started - datetime.fromisoformat(ticket["accepted_at"])).total_seconds()) < 1, (name, shown)
        if isinstance(limit, tuple):
            expected = add_working_days(started, limit[1], is_workday)
            assert shown["limit_working_days"] == limit[1], name
            assert shown["provisional"] is (expected.year == 2027), (name, shown)  # 2027 has no confirmed schedule yet
        else:
            expected = started + timedelta(minutes=limit)
            assert shown["limit_minutes"] == limit and shown["provisional"] is False, name
        assert datetime.fromisoformat(shown["due_at"]) == expected, (name, shown["due_at"], expected.isoformat())
        seen.append(name)
    assert len(seen) == len(ROWS)


def test_restoration_starts_on_site_and_a_reconnection_reply_starts_when_power_is_back(scenario, people):
    crew = scenario.crew
    repair = scenario.ticket(_body({"business_type": "fault_repair", "sub_type": "no_power_single_household"}, people, set()) |
                             {"account_no": people["urban"][-1]["account_no"]})
    clocks(scenario, repair["ticket_id"], "arrival")
    scenario.act(repair["ticket_id"], "arrive", crew)
    restoration = clocks(scenario, repair["ticket_id"], "restoration")
    assert restoration["rule_id"] == "tl-repair-restoration-urban"
    assert datetime.fromisoformat(restoration["due_at"]) == datetime.fromisoformat(restoration["started_at"]) + timedelta(hours=3)

    reconnect = scenario.ticket(_body({"business_type": "service_request", "sub_type": "reconnection"}, people, set()) |
                                {"account_no": people["urban"][-2]["account_no"]})
    assert clocks(scenario, reconnect["ticket_id"], "restoration")["rule_id"] == "tl-service-reconnection"
    scenario.act(reconnect["ticket_id"], "arrive", crew)
    now = datetime.now().astimezone()
    scenario.act(reconnect["ticket_id"], "complete", crew, {
        "cause": "缴费后复电", "fault_class": {"level1": "客户内部故障"}, "departed_at": now.isoformat(), "arrived_at": now.isoformat()})
    reply = clocks(scenario, reconnect["ticket_id"], "reply")
    assert reply["rule_id"] == "tl-service-reconnection-reply" and reply["limit_working_days"] == 1
    expected = add_working_days(datetime.fromisoformat(reply["started_at"]), 1, schedule(scenario))
    assert datetime.fromisoformat(reply["due_at"]) == expected
