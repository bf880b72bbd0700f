"""The business calendar: official holidays and make-up workdays, tenant overrides, working-time arithmetic."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from servicekit.calendar import BusinessCalendar, calendar_for, check_overrides

pytestmark = pytest.mark.unit

CST = timezone(timedelta(hours=8))


def ts(*args: int) -> float:
    return datetime(*args, tzinfo=CST).timestamp()


def test_national_day_is_off_and_its_make_up_saturday_is_a_working_day():
    cal = BusinessCalendar()
    assert [cal.is_workday(date(2026, 10, d)) for d in (1, 7, 8, 10, 11)] == [False, False, True, True, False]
    assert cal.is_workday(date(2026, 11, 27)) and not cal.is_workday(date(2026, 11, 28))  # a plain Friday and Saturday


def test_years_the_library_does_not_cover_are_monday_to_friday():
    cal = BusinessCalendar()
    assert cal.is_workday(date(2040, 1, 2)) and not cal.is_workday(date(2040, 1, 7))  # a Monday, a Saturday


def test_a_tenant_override_adds_a_holiday_and_a_working_day():
    cal = calendar_for([{"date": "2026-11-27", "workday": False}, {"date": "2026-11-28", "workday": True}])
    assert not cal.is_workday(date(2026, 11, 27)) and cal.is_workday(date(2026, 11, 28))
    assert calendar_for([]).is_workday(date(2026, 11, 27))  # other tenants keep the official calendar


def test_the_same_overrides_share_one_calendar():
    rows = [{"date": "2026-11-27", "workday": False}]
    assert calendar_for(rows) is calendar_for([dict(r) for r in rows])
    assert calendar_for(rows) is not calendar_for([])


def test_working_time_accrues_whole_working_days_only():
    cal = BusinessCalendar()
    friday = ts(2026, 11, 27, 10)
    four_days = cal.at_working_seconds(cal.working_seconds(friday) + 4 * 86_400)
    assert four_days == ts(2026, 12, 3, 10)  # Friday 10:00 + 4 working days = Thursday 10:00
    assert cal.working_seconds(ts(2026, 11, 28, 15)) == cal.working_seconds(ts(2026, 11, 30, 0))  # the weekend adds nothing


def test_an_override_moves_a_working_time_deadline():
    plain, off = BusinessCalendar(), BusinessCalendar({date(2026, 11, 30): False})
    friday = ts(2026, 11, 27, 10)
    assert plain.at_working_seconds(plain.working_seconds(friday) + 86_400) == ts(2026, 11, 30, 10)
    assert off.at_working_seconds(off.working_seconds(friday) + 86_400) == ts(2026, 12, 1, 10)


def test_override_rows_are_checked_field_by_field():
    problems = check_overrides("370102", {"rows": [{"date": "2026-13-01", "workday": True}, {"date": "2026-10-08", "workday": "no"},
                                                    {"date": "2026-10-08", "workday": False}]})
    assert [p.loc for p in problems] == ["rows.0.date", "rows.1.workday", "rows.2.date"]
    assert all(p.message_zh and p.message_en for p in problems)
    assert check_overrides("370102", {"rows": []}) == []
