"""A tenant's business calendar from its rule tables (工作日历数据): the two shared tables, their defaults, the read.

Every service that counts working days registers `CALENDAR_TABLES` with its rule store, ships
`calendar_defaults()` with its other defaults, reads `tenant_calendar(rules, tenant, at)` and, at
start-up, calls `watch_years` so a year without a confirmed schedule shows on /metrics and in the log.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from servicekit.calendar import CALENDAR_TABLE, BusinessCalendar, calendar_for, check_overrides
from servicekit.calendar_watch import CalendarWatch
from servicekit.holiday_schedule import HOLIDAY_TABLE, check_schedule, shipped_rows
from servicekit.rules import RuleStore, Validator

CALENDAR_TABLES: dict[str, Validator] = {CALENDAR_TABLE: check_overrides, HOLIDAY_TABLE: check_schedule}


def calendar_defaults() -> dict[str, Any]:
    """No day overrides; the shipped State Council schedule (servicekit/data/holiday_schedule_cn.json)."""
    return {CALENDAR_TABLE: [], HOLIDAY_TABLE: [dict(row) for row in shipped_rows()]}


async def tenant_calendar(rules: RuleStore, tenant: str, at: datetime) -> BusinessCalendar:
    """The tenant's calendar in force at `at`: its schedule plus its day overrides (built once per content)."""
    return calendar_for(await rules.active(tenant, CALENDAR_TABLE, at), await rules.active(tenant, HOLIDAY_TABLE, at))


async def watch_years(rules: RuleStore, watch: CalendarWatch, tenants: Iterable[str], now: datetime) -> None:
    """This year and the next, for every tenant: the gauge, and a warning line for each unconfirmed year."""
    for tenant in tenants:
        watch.check(tenant, await tenant_calendar(rules, tenant, now), (now.year, now.year + 1))
