"""Working-day due dates on the running stack follow the State Council schedule; a year without one raises the alert metric."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import datetime

import pytest

from hotline_contracts import make_event
from hotline_contracts.events.ticket import TicketCreatedV1
from tests.e2e.scenario import Scenario
from tests.e2e.test_isolation_attacks import publish
from tests.e2e.time_limit_checks import CHINA, clocks

pytestmark = pytest.mark.e2e
OTHER_COUNTY = "370124"  # the notice below is test data: it goes into a tenant the other e2e files do not time
NOTICE_CSV = "date,kind\n2027-02-05,off\n2027-02-08,off\n2027-02-09,off\n2027-02-10,off\n2027-02-11,off\n2027-02-12,off\n2027-02-13,work\n"


@pytest.fixture(scope="module")
def scenario(stack) -> Scenario:
    return Scenario(stack)


def complaint_at(stack, tenant: str, accepted_at: datetime) -> str:
    """A complaint accepted at `accepted_at` (published as intake would: the past and future are only reachable on Kafka)."""
    ticket_id = f"{tenant}-{accepted_at:%Y%m%d}-{uuid.uuid4().int % 10**6:06d}"
    data = TicketCreatedV1(ticket_id=ticket_id, business_type="complaint", sub_type="business", channel="hotline",
                           responsible_unit=tenant, first_contact_owner="agent:e2e", accepted_at=accepted_at, summary="工作日历验证")
    envelope = make_event(data, tenant=tenant, source="/hotline/intake", subject=ticket_id)
    asyncio.run(publish(stack, "ticket.created.v1", envelope.model_dump_json().encode()))
    return ticket_id


def metric(scenario: Scenario, tenant: str, year: int) -> float | None:
    text = scenario.http.get(f"{scenario.urls['dispatch']}/metrics").text
    found = re.search(rf'^hotline_calendar_year_unconfirmed\{{[^}}]*tenant="{tenant}",year="{year}"[^}}]*\}} (\S+)$', text, re.MULTILINE)
    return float(found.group(1)) if found else None


def test_a_complaint_accepted_before_national_day_2026_is_due_after_the_golden_week(scenario, stack):
    tid = complaint_at(stack, "370102", datetime(2026, 9, 30, 10, tzinfo=CHINA))
    reply = clocks(scenario, tid, "reply")
    # 4 working days: rest of Sep 30, Oct 8, 9, Saturday Oct 10 (make-up workday), Monday Oct 12 until 10:00.
    assert (reply["due_at"], reply["provisional"]) == ("2026-10-12T10:00:00+08:00", False)


def test_spring_festival_2027_is_provisional_until_the_notice_is_loaded_then_follows_it(scenario, stack):
    staff = stack.token(OTHER_COUNTY, ["unit_staff"], subject="staff:e2e-calendar")
    director = stack.token(OTHER_COUNTY, ["centre_director"], subject="director:e2e-calendar")
    tid = complaint_at(stack, OTHER_COUNTY, datetime(2027, 2, 5, 10, tzinfo=CHINA))
    before = clocks(scenario, tid, "reply", staff)
    # The shipped 2027 row is the library's projection (Feb 5-10 off, no make-up days): not Feb 11, and marked provisional.
    assert (before["due_at"], before["provisional"], before["unconfirmed_years"]) == ("2027-02-17T00:00:00+08:00", True, [2027])
    assert metric(scenario, OTHER_COUNTY, 2027) == 1

    loaded = scenario.http.post(f"{scenario.urls['dispatch']}/api/v1/calendar/import", params={"tenant": OTHER_COUNTY, "source": "e2e test notice"},
                                content=NOTICE_CSV, headers={"Authorization": f"Bearer {director}", "Content-Type": "text/csv"})
    assert loaded.status_code == 200, loaded.text
    assert {r["year"]: r["confirmed"] for r in loaded.json()}[2027] is True
    after = clocks(scenario, tid, "reply", staff)
    # Saturday Feb 13 is worked, Feb 11-12 are off: Feb 13, 15, 16, 17.
    assert (after["due_at"], after["provisional"]) == ("2027-02-18T00:00:00+08:00", False)
    assert metric(scenario, OTHER_COUNTY, 2027) == 0
    assert metric(scenario, "370102", 2027) == 1  # another tenant's notice changes nothing here


def test_a_year_with_no_schedule_is_counted_visibly_and_raises_the_alert_metric(scenario):
    assert metric(scenario, "370102", 2026) == 0  # set at start-up for this year and the next
    assert metric(scenario, "370102", 2030) is None
    answer = scenario.call("GET", "dispatch", "/api/v1/calendar/due?tenant=370102&start=2030-09-30T10:00:00%2B08:00&working_days=4",
                           scenario.maintainer)
    assert (answer["due_at"], answer["provisional"], answer["unconfirmed_years"]) == ("2030-10-04T10:00:00+08:00", True, [2030])
    assert metric(scenario, "370102", 2030) == 1
