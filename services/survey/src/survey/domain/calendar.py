"""Working days (工作日) from the official holiday calendar, weekdays outside its years."""

from __future__ import annotations

from datetime import date

import chinese_calendar


def is_workday(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # years the calendar does not cover yet: plain Monday–Friday
        return day.weekday() < 5
