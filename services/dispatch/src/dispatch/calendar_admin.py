"""Holiday schedule administration and due-time reads (放假安排维护与时限查询): use cases behind /api/v1/calendar
and a work order's clock view.

A schedule change is a new version of the tenant's `holiday_schedule` table (servicekit.rules, validated
and audited by the store) that replaces the years it names and keeps the others. Every read that
reaches a year without a confirmed schedule updates the `hotline_calendar_year_unconfirmed` gauge and
says so (`provisional`): due times there are counted on a projection or Monday to Friday.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from dispatch.deps import Deps
from dispatch.domain.clocks import evaluate
from servicekit.auth import Principal
from servicekit.calendar import DAY, BusinessCalendar
from servicekit.errors import FieldError, invalid, not_found
from servicekit.holiday_schedule import HOLIDAY_TABLE

CHINA = timezone(timedelta(hours=8))
KINDS = {"off": "days_off", "休": "days_off", "work": "workdays", "班": "workdays"}


def _local(ts: float) -> str:
    return datetime.fromtimestamp(ts, CHINA).isoformat()


async def years(tenant: str, *, deps: Deps) -> list[dict[str, Any]]:
    """The tenant's schedule rows in force now, by year."""
    return sorted(await deps.rules.active(tenant, HOLIDAY_TABLE, deps.clock()), key=lambda r: int(r["year"]))


async def save_years(tenant: str, new_rows: list[dict[str, Any]], *, by: Principal, deps: Deps) -> list[dict[str, Any]]:
    """Store a version with `new_rows` replacing their years (from now on); returns the years now in force."""
    now = deps.clock()
    replaced = {int(r["year"]) for r in new_rows if isinstance(r.get("year"), int)}
    kept = [r for r in await deps.rules.active(tenant, HOLIDAY_TABLE, now) if int(r["year"]) not in replaced]
    await deps.rules.save(tenant, HOLIDAY_TABLE, sorted([*kept, *new_rows], key=lambda r: int(r.get("year") or 0)),
                          effective_from=now, by=by)
    deps.calendar_watch.check(tenant, await deps.calendar(tenant, now), replaced)
    return await years(tenant, deps=deps)


def rows_from_csv(text: str, *, confirmed: bool, source: str) -> list[dict[str, Any]]:
    """`date,kind` lines (kind off/休 or work/班; a header line is allowed) → one schedule row per year; 422 on any bad line."""
    by_year: dict[int, dict[str, Any]] = {}
    problems: list[FieldError] = []
    for n, line in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not line or not "".join(line).strip() or (n == 1 and line[0].strip().lower() == "date"):
            continue
        try:
            day, kind = date.fromisoformat(line[0].strip()), KINDS[line[1].strip()]
        except (ValueError, IndexError, KeyError):
            problems.append(FieldError(f"body.line.{n}", "须为 日期,off|work（或 休|班）", "expected date,off|work (or 休|班)"))
            continue
        row = by_year.setdefault(day.year, {"year": day.year, "confirmed": confirmed, "source": source, "days_off": [], "workdays": []})
        row[kind].append(day.isoformat())
    if problems or not by_year:
        raise invalid("放假安排文件有误，未导入", "schedule file invalid, nothing imported",
                      fields=problems or [FieldError("body", "文件中没有日期", "the file holds no dates")])
    return list(by_year.values())


def provisional(calendar: BusinessCalendar, start: float, due: float, tenant: str, deps: Deps) -> list[int]:
    """The unconfirmed years a working-day count from `start` to `due` crosses (and the gauge set for them)."""
    missing = calendar.unconfirmed_years(start, due)
    deps.calendar_watch.check(tenant, calendar, missing)
    return missing


async def due_after(tenant: str, start: datetime, working_days: float, *, deps: Deps) -> dict[str, Any]:
    """The end of `working_days` working days counted from `start`, as a time limit would count them."""
    calendar = await deps.calendar(tenant, deps.clock())
    t0 = start.timestamp()
    due = calendar.at_working_seconds(calendar.working_seconds(t0) + working_days * DAY)
    missing = provisional(calendar, t0, due, tenant, deps)
    return {"tenant": tenant, "start": start.astimezone(CHINA).isoformat(), "working_days": working_days,
            "due_at": _local(due), "provisional": bool(missing), "unconfirmed_years": missing}


async def order_clocks(tenant: str, ticket_id: str, *, deps: Deps) -> dict[str, Any]:
    """时限视图: every started clock of one order with its rule, limit and due time."""
    order = await deps.orders.get(tenant, ticket_id)
    if order is None:
        raise not_found("工单", "work order")
    now = deps.clock()
    rules, calendar = await deps.clock_rules(tenant, now), await deps.calendar(tenant, now)
    by_id = {r.id: r for r in rules.for_order(order)}
    clocks = []
    for status in evaluate(order, rules, calendar, now):
        rule = by_id[status.rule_id]
        started = order.milestones[rule.start].timestamp()
        missing = provisional(calendar, started, status.due_at, tenant, deps) if rule.working else []
        clocks.append({
            "clock": status.clock, "rule_id": status.rule_id, "started_at": _local(started), "due_at": _local(status.due_at),
            "limit_minutes": rule.limit_minutes, "limit_working_days": rule.limit_working_days,
            "percent": round(status.percent, 2), "stopped": status.stopped, "paused": status.paused,
            "provisional": bool(missing), "unconfirmed_years": missing,
        })
    return {"ticket_id": order.ticket_id, "tenant": tenant, "business_type": order.business_type, "sub_type": order.sub_type,
            "referred_from": order.referred_from, "evaluated_at": now.astimezone(UTC).isoformat(), "clocks": clocks}
