"""Shared by the time-limit and calendar e2e tests: orders in through intake, clocks out of dispatch, due dates by hand."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from pymongo import MongoClient

from tests.e2e.customers import fresh_customers
from tests.e2e.scenario import DISPATCH_WAIT, TENANT, Scenario, wait_until

CHINA = timezone(timedelta(hours=8))


def seeded_customers(scenario: Scenario, **query: Any) -> list[dict[str, Any]]:
    """Seeded customers matching `query`, the demo county's first, then the other counties' (test data only;
    orders go through the APIs): up to 100 per county, none another test had, none inside an outage."""
    uri = f"mongodb://127.0.0.1:{27017 + scenario.stack.offset}/?retryWrites=false&directConnection=true"
    with MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
        counties = sorted((n[len("hotline_"):] for n in client.list_database_names() if re.fullmatch(r"hotline_\d{6}", n)),
                          key=lambda t: t != TENANT)
    if "tenant" in query:
        counties = [query.pop("tenant")]
    return [c for county in counties for c in fresh_customers(scenario.stack, 100, tenant=county, **query)]


def clocks(scenario: Scenario, ticket_id: str, clock: str, token: str | None = None) -> dict[str, Any]:
    """The named clock of an order as dispatch's clock view shows it (waits for dispatch to take the order);
    read by the province's shift leader unless `token` says otherwise."""
    def probe() -> dict[str, Any] | None:
        view = scenario.http.get(f"{scenario.urls['dispatch']}/api/v1/work-orders/{ticket_id}/clocks",
                                 headers={"Authorization": f"Bearer {token or scenario.leader}"})
        if view.status_code != 200:
            return None
        return {c["clock"]: c for c in view.json()["clocks"]}.get(clock)

    found: dict[str, Any] = wait_until(probe, DISPATCH_WAIT, f"{clock} clock of {ticket_id}")
    return found


def schedule(scenario: Scenario) -> Callable[[date], bool]:
    """The tenant's working days as dispatch's calendar API lists them (days off, make-up workdays, weekends)."""
    rows = scenario.call("GET", "dispatch", f"/api/v1/calendar/years?tenant={TENANT}", scenario.maintainer)
    off = {d for r in rows for d in r["days_off"]}
    work = {d for r in rows for d in r["workdays"]}
    return lambda d: d.isoformat() in work or (d.isoformat() not in off and d.weekday() < 5)


def add_working_days(start: datetime, days: float, is_workday: Callable[[date], bool]) -> datetime:
    """Counted the plain way, a day at a time: working days accrue all 24 hours, other days none."""
    remaining, t = days * 86_400, start.astimezone(CHINA)
    while True:
        day_end = datetime.combine(t.date() + timedelta(days=1), time(0), CHINA)
        if is_workday(t.date()):
            left = (day_end - t).total_seconds()
            if remaining <= left:
                return t + timedelta(seconds=remaining)
            remaining -= left
        t = day_end
