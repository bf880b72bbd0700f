"""The State Council schedule as data (国务院放假安排): official days, make-up workdays, and years that are not confirmed."""

from __future__ import annotations

import io
import json
import logging
from contextlib import redirect_stdout
from datetime import date, datetime, timedelta, timezone
from importlib import resources

import pytest
from prometheus_client import CollectorRegistry

from servicekit.calendar import DAY, BusinessCalendar, calendar_for
from servicekit.calendar_watch import METRIC, CalendarWatch
from servicekit.holiday_schedule import check_schedule, main, parse_schedule, shipped_rows

pytestmark = pytest.mark.unit
CHINA = timezone(timedelta(hours=8))


def due(calendar: BusinessCalendar, start: datetime, working_days: float) -> datetime:
    t = calendar.at_working_seconds(calendar.working_seconds(start.timestamp()) + working_days * DAY)
    return datetime.fromtimestamp(t, CHINA)


def test_the_shipped_file_is_what_the_pinned_holidays_library_gives():
    out = io.StringIO()
    with redirect_stdout(out):
        main()
    shipped = json.loads(resources.files("servicekit").joinpath("data/holiday_schedule_cn.json").read_text(encoding="utf-8"))
    assert json.loads(out.getvalue())["rows"] == shipped["rows"]


def test_national_day_2026_follows_the_notice_with_its_make_up_workdays():
    calendar = calendar_for([])
    assert calendar.confirmed(2026)
    assert [d for d in (date(2026, 10, 1) + timedelta(days=i) for i in range(7)) if calendar.is_workday(d)] == []
    assert calendar.is_workday(date(2026, 9, 20)) and calendar.is_workday(date(2026, 10, 10))  # Sunday and Saturday worked
    assert calendar.is_workday(date(2026, 9, 30)) and calendar.is_workday(date(2026, 10, 8))
    # 14 h of Sep 30, Oct 8, 9, 10 (make-up Saturday), 10 h of Monday Oct 12.
    assert due(calendar, datetime(2026, 9, 30, 10, tzinfo=CHINA), 4) == datetime(2026, 10, 12, 10, tzinfo=CHINA)


def test_spring_festival_2027_is_the_librarys_projection_and_says_it_is_not_confirmed():
    calendar = calendar_for([])
    assert not calendar.confirmed(2027)
    assert [d.day for d in (date(2027, 2, 5) + timedelta(days=i) for i in range(6)) if not calendar.is_workday(d)] == [5, 6, 7, 8, 9, 10]
    # The brief's example: not 2027-02-11 (inside the festival) but four working days after it: Feb 11, 12, 15, 16.
    start = datetime(2027, 2, 5, 10, tzinfo=CHINA)
    assert due(calendar, start, 4) == datetime(2027, 2, 17, tzinfo=CHINA)
    assert calendar.unconfirmed_years(start.timestamp(), start.timestamp() + 10 * DAY) == [2027]


def test_an_imported_notice_replaces_the_projection_for_its_year_only():
    # Test data standing in for a notice (not the real 2027 one, which no source here carries yet).
    notice = {"year": 2027, "confirmed": True, "source": "test notice", "workdays": ["2027-02-13", "2027-02-20"],
              "days_off": ["2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11", "2027-02-12"]}
    calendar = calendar_for([], [r for r in shipped_rows() if r["year"] != 2027] + [notice])
    assert calendar.confirmed(2027) and calendar.is_workday(date(2027, 2, 13)) and not calendar.is_workday(date(2027, 2, 11))
    # Worked: Saturday Feb 13, then 15, 16, 17: a day later than the projection.
    assert due(calendar, datetime(2027, 2, 5, 10, tzinfo=CHINA), 4) == datetime(2027, 2, 18, tzinfo=CHINA)
    assert calendar.confirmed(2026) and not calendar.is_workday(date(2026, 10, 1))


def test_a_year_without_a_row_counts_monday_to_friday_and_is_reported_unconfirmed(caplog):
    calendar = calendar_for([])
    assert not calendar.confirmed(2030) and calendar.is_workday(date(2030, 10, 1))  # no schedule: plain weekday
    registry = CollectorRegistry()
    watch = CalendarWatch(registry)
    with caplog.at_level(logging.WARNING):
        assert watch.check("370102", calendar, [2026, 2030]) == [2030]
        watch.check("370102", calendar, [2030])
    assert registry.get_sample_value(METRIC, {"tenant": "370102", "year": "2030"}) == 1
    assert registry.get_sample_value(METRIC, {"tenant": "370102", "year": "2026"}) == 0
    assert [r.getMessage() for r in caplog.records].count(caplog.records[0].getMessage()) == 1  # warned once, not per read
    assert "2030" in caplog.records[0].getMessage() and "国务院" in caplog.records[0].getMessage()


@pytest.mark.parametrize(("row", "loc"), [
    ({"year": 2027, "confirmed": True, "workdays": ["2027-02-11"]}, "rows.0.workdays.0"),  # a Thursday is no make-up day
    ({"year": 2027, "confirmed": True, "days_off": ["2028-01-01"]}, "rows.0.days_off.0"),
    ({"year": 2027, "confirmed": True, "days_off": ["2027-02-30"]}, "rows.0.days_off.0"),
    ({"year": 2027, "confirmed": "yes"}, "rows.0.confirmed"),
    ({"year": 1999, "confirmed": True}, "rows.0.year"),
    ({"year": 2027, "confirmed": True, "days_off": ["2027-02-13"], "workdays": ["2027-02-13"]}, "rows.0.workdays"),
])
def test_a_bad_schedule_row_is_refused_naming_the_field_in_both_languages(row, loc):
    problems = check_schedule("370102", {"rows": [row]})
    assert [p.loc for p in problems] == [loc]
    assert problems[0].message_zh and problems[0].message_en


def test_the_shipped_rows_pass_their_own_check_and_parse():
    assert check_schedule("37", {"rows": list(shipped_rows())}) == []
    assert set(parse_schedule(shipped_rows())) == set(range(2020, 2028))
