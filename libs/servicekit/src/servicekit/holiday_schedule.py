"""State Council holiday schedule (国务院节假日安排) as per-tenant data: the days off and make-up workdays of each year.

A tenant's schedule is the effective-dated rule table `holiday_schedule` (`HOLIDAY_TABLE`), one row per
year: `{year, confirmed, source, days_off: [YYYY-MM-DD], workdays: [YYYY-MM-DD]}`. `days_off` are the
official days off (statutory days and the days moved next to them); `workdays` the weekend days worked
instead (调休上班). `confirmed` is true only for a year whose State Council notice the row follows.

The shipped default (`data/holiday_schedule_cn.json`) is generated from the pinned `holidays` library
(`python -m servicekit.holiday_schedule > libs/servicekit/src/servicekit/data/holiday_schedule_cn.json`;
a test fails when the file and the library disagree). The library marks a year as following the
notice by listing its make-up days (`special_public_holidays`); a year it only projects from the
statutory rules (the notice not yet out when the version was released) ships `confirmed: false`.
Operators load the notice through dispatch's `/api/v1/calendar` API (JSON per year or a CSV file).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from importlib.metadata import version
from typing import Any

from servicekit.errors import FieldError

HOLIDAY_TABLE = "holiday_schedule"
SHIPPED_YEARS = range(2020, 2028)  # from the oldest year an open order may have started to the year ahead


@dataclass(frozen=True)
class YearSchedule:
    """一年的放假安排: days off, make-up workdays, and whether it follows the State Council notice."""

    year: int
    confirmed: bool
    source: str
    days_off: frozenset[date]
    workdays: frozenset[date]


def parse_schedule(rows: Iterable[Mapping[str, Any]]) -> dict[int, YearSchedule]:
    """The schedule rows of a tenant's table, by year (rows are checked on save by `check_schedule`)."""
    return {
        int(row["year"]): YearSchedule(
            int(row["year"]), bool(row.get("confirmed")), str(row.get("source", "")),
            frozenset(date.fromisoformat(d) for d in row.get("days_off", [])),
            frozenset(date.fromisoformat(d) for d in row.get("workdays", [])),
        )
        for row in rows
    }


def _dates(row: Mapping[str, Any], key: str, year: int, loc: str, problems: list[FieldError]) -> set[date]:
    value = row.get(key, [])
    if not isinstance(value, list):
        problems.append(FieldError(f"{loc}.{key}", "须为日期列表", f"{key} must be a list of dates"))
        return set()
    days: set[date] = set()
    for j, text in enumerate(value):
        try:
            day = date.fromisoformat(str(text))
        except ValueError:
            problems.append(FieldError(f"{loc}.{key}.{j}", "日期格式须为 YYYY-MM-DD", "date must be YYYY-MM-DD"))
            continue
        if day.year != year:
            problems.append(FieldError(f"{loc}.{key}.{j}", f"日期不在 {year} 年内：{day}", f"{day} is not in {year}"))
        elif key == "workdays" and day.weekday() < 5:
            problems.append(FieldError(f"{loc}.{key}.{j}", f"调休上班日须为周末：{day}", f"a make-up workday must be a weekend day: {day}"))
        days.add(day)
    return days


def check_schedule(tenant: str, version: Mapping[str, Any]) -> list[FieldError]:
    """The `holiday_schedule` table's validator: one row per year, real dates of that year, no day both off and worked."""
    problems: list[FieldError] = []
    seen: set[int] = set()
    for i, row in enumerate(version.get("rows") or []):
        loc, year = f"rows.{i}", row.get("year")
        if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100 or year in seen:
            problems.append(FieldError(f"{loc}.year", "年份须为 2000–2100 且不重复", "year must be 2000-2100 and given once"))
            continue
        seen.add(year)
        if not isinstance(row.get("confirmed"), bool):
            problems.append(FieldError(f"{loc}.confirmed", "须说明是否为国务院正式安排（true/false）",
                                       "confirmed must say whether this is the State Council notice (true/false)"))
        both = _dates(row, "days_off", year, loc, problems) & _dates(row, "workdays", year, loc, problems)
        if both:
            listed = ", ".join(sorted(d.isoformat() for d in both))
            problems.append(FieldError(f"{loc}.workdays", f"同一天不能既放假又上班：{listed}", f"days both off and worked: {listed}"))
    return problems


def library_year(year: int) -> dict[str, Any]:
    """One year's row from the `holidays` library (China, public holidays)."""
    import holidays
    from holidays.countries.china import ChinaStaticHolidays

    calendar = holidays.country_holidays("CN", years=year)
    confirmed = year in ChinaStaticHolidays.special_public_holidays  # the notice's make-up days are listed
    source = f"holidays {version('holidays')}: " + (
        "国务院办公厅放假安排 / State Council notice" if confirmed
        else "按法定节日推定，未含国务院调休安排 / projected from the statutory days, no State Council notice yet")
    return {
        "year": year, "confirmed": confirmed, "source": source,
        "days_off": sorted(d.isoformat() for d in calendar if d.year == year),
        "workdays": sorted(d.isoformat() for d in calendar.weekend_workdays if d.year == year),
    }


@cache
def shipped_rows() -> tuple[dict[str, Any], ...]:
    """The shipped schedule (data/holiday_schedule_cn.json): every tenant's default `holiday_schedule` rows."""
    text = resources.files("servicekit").joinpath("data/holiday_schedule_cn.json").read_text(encoding="utf-8")
    return tuple(json.loads(text)["rows"])


def main() -> None:
    """Print the shipped data file from the pinned library (see the module docstring)."""
    doc = {"_comment": "国务院节假日安排（由 holidays 库生成，勿手改）/ generated by python -m servicekit.holiday_schedule; "
                       "confirmed=false years lack the State Council notice: import it over /api/v1/calendar",
           "rows": [library_year(y) for y in SHIPPED_YEARS]}
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
