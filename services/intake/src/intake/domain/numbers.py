"""Work-order numbers (工单编号): tenant, local date, per-day counter, e.g. 370102-20261126-000123."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))


def order_day(at: datetime) -> str:
    """The accepting day in China time, so numbers sort by the calendar day agents see."""
    day = at.astimezone(CHINA)
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"  # strftime costs several times as much per order


def ticket_number(tenant: str, day: str, n: int) -> str:
    return f"{tenant}-{day}-{n:06d}"
