"""Business calendar (工作日历): Chinese public holidays and make-up workdays (调休) plus tenant overrides.

The one working-day calendar of the platform (dispatch's time limits, survey's due dates). Days come
from the tenant's State Council schedule, the `holiday_schedule` rule table (`servicekit.holiday_schedule`,
shipped from the `holidays` library, loaded and corrected per tenant over dispatch's `/api/v1/calendar`);
a tenant overrides single days in its effective-dated `calendar` rule table, rows `{date: "YYYY-MM-DD",
workday: bool}` (see `servicekit.rules`). Build a tenant's calendar with
`calendar_for(await rules.active(tenant, CALENDAR_TABLE, at), await rules.active(tenant, HOLIDAY_TABLE, at))`.

A year without a confirmed schedule (no row, or `confirmed: false`) is never a silent guess: its days
are those of its row if it has one (the library's projection of the statutory days) and otherwise plain
Monday to Friday, and the gap is made visible: `unconfirmed_years` names it, due times that reach it are
reported provisional (dispatch's clock view), `servicekit.calendar_watch` raises the
`hotline_calendar_year_unconfirmed{tenant,year}` gauge and logs a warning at start-up. Loading the
notice fixes every open order's due time at its next evaluation (due times are computed, not stored).

Working time accrues only on working days, all 24 hours of them, so "4 working days" from
Friday 10:00 ends on Thursday 10:00. Times are epoch seconds; days are China local days
(UTC+8, no daylight saving since 1991). Pure domain code: no framework, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from servicekit.errors import FieldError
from servicekit.holiday_schedule import YearSchedule, parse_schedule, shipped_rows

CALENDAR_TABLE = "calendar"  # the rule table of tenant overrides, shared by every service that counts working days
DAY = 86_400
LOCAL_OFFSET = 8 * 3600
_EPOCH = date(1970, 1, 1)


class BusinessCalendar:
    """Working days of a State Council schedule (by year) with per-tenant overrides ({date: True=workday, False=holiday})."""

    def __init__(self, overrides: dict[date, bool] | None = None, *, schedule: dict[int, YearSchedule] | None = None,
                 first_year: int = 2020, last_year: int = 2030) -> None:
        self.overrides = dict(overrides or {})
        self.schedule = parse_schedule(shipped_rows()) if schedule is None else dict(schedule)
        self._build(first_year, last_year)

    def _scheduled_workday(self, day: date) -> bool:
        year = self.schedule.get(day.year)
        if year is not None and day in year.workdays:
            return True
        if year is not None and day in year.days_off:
            return False
        return day.weekday() < 5

    def confirmed(self, year: int) -> bool:
        """Whether `year` follows a State Council notice (else its days are a projection or plain Monday to Friday)."""
        entry = self.schedule.get(year)
        return entry is not None and entry.confirmed

    def unconfirmed_years(self, start: float, end: float) -> list[int]:
        """The years between two epoch times (inclusive) whose schedule is not confirmed."""
        first, last = (date.fromordinal(_EPOCH.toordinal() + int((t + LOCAL_OFFSET) // DAY)).year for t in (start, end))
        return [y for y in range(first, last + 1) if not self.confirmed(y)]

    def _build(self, first_year: int, last_year: int) -> None:
        self.first_year, self.last_year = first_year, last_year
        self._base = (date(first_year, 1, 1) - _EPOCH).days
        days = (date(last_year + 1, 1, 1) - date(first_year, 1, 1)).days
        self._work: list[bool] = []
        self._cum: list[int] = [0]  # working days before day i
        for i in range(days):
            day = date(first_year, 1, 1) + timedelta(days=i)
            is_work = self.overrides[day] if day in self.overrides else self._scheduled_workday(day)
            self._work.append(is_work)
            self._cum.append(self._cum[-1] + is_work)
        self._work_days = [i for i, w in enumerate(self._work) if w]

    def _index(self, ts: float) -> int:
        i = int((ts + LOCAL_OFFSET) // DAY) - self._base
        if not 0 <= i < len(self._work):
            year = date.fromordinal(_EPOCH.toordinal() + i + self._base).year
            self._build(min(self.first_year, year), max(self.last_year, year))
            i = int((ts + LOCAL_OFFSET) // DAY) - self._base
        return i

    def is_workday(self, day: date) -> bool:
        i = (day - _EPOCH).days - self._base
        if 0 <= i < len(self._work):
            return self._work[i]
        return self.overrides.get(day, self._scheduled_workday(day))

    def working_seconds(self, ts: float) -> float:
        """Working seconds accrued from the calendar's start up to `ts` (a monotone scale)."""
        i = self._index(ts)
        into_day = (ts + LOCAL_OFFSET) - (i + self._base) * DAY
        return self._cum[i] * DAY + (into_day if self._work[i] else 0.0)

    def at_working_seconds(self, target: float) -> float:
        """The earliest epoch time whose working-seconds value reaches `target` (inverse of the above)."""
        full, rest = divmod(target, DAY)
        k = int(full)
        while k >= len(self._work_days):
            self._build(self.first_year, self.last_year + 5)
        if rest == 0 and k > 0:
            k, rest = k - 1, DAY  # the end of the k-th working day, not the start of the next
        day = self._work_days[k]
        return (day + self._base) * DAY - LOCAL_OFFSET + rest


def parse_overrides(rows: Iterable[Mapping[str, Any]]) -> dict[date, bool]:
    """Override rows `{date: "YYYY-MM-DD", workday: bool}` from the tenant's calendar table."""
    return {date.fromisoformat(str(row["date"])): bool(row["workday"]) for row in rows}


def calendar_for(rows: Iterable[Mapping[str, Any]], schedule: Iterable[Mapping[str, Any]] | None = None) -> BusinessCalendar:
    """The calendar of a tenant's override rows and schedule rows (None: the shipped schedule); built once per
    distinct content (tenants share them)."""
    years = parse_schedule(shipped_rows() if schedule is None else schedule)
    key = tuple(sorted((y.year, y.confirmed, tuple(sorted(y.days_off)), tuple(sorted(y.workdays))) for y in years.values()))
    return _built(tuple(sorted(parse_overrides(rows).items())), key)


@lru_cache(maxsize=64)
def _built(overrides: tuple[tuple[date, bool], ...],
           schedule: tuple[tuple[int, bool, tuple[date, ...], tuple[date, ...]], ...]) -> BusinessCalendar:
    years = {y: YearSchedule(y, ok, "", frozenset(off), frozenset(work)) for y, ok, off, work in schedule}
    return BusinessCalendar(dict(overrides), schedule=years)


def check_overrides(tenant: str, version: Mapping[str, Any]) -> list[FieldError]:
    """The `calendar` table's validator: one row per date, each a real date and a boolean `workday`."""
    problems: list[FieldError] = []
    seen: set[str] = set()
    for i, row in enumerate(version.get("rows") or []):
        loc = f"rows.{i}"
        try:
            day = date.fromisoformat(str(row.get("date")))
        except ValueError:
            problems.append(FieldError(f"{loc}.date", "日期格式须为 YYYY-MM-DD", "date must be YYYY-MM-DD"))
            continue
        if not isinstance(row.get("workday"), bool):
            problems.append(FieldError(f"{loc}.workday", "须为布尔值", "workday must be true or false"))
        if day.isoformat() in seen:
            problems.append(FieldError(f"{loc}.date", f"日期重复：{day}", f"date given twice: {day}"))
        seen.add(day.isoformat())
    return problems


