"""Daily ticket aggregates per tenant (日统计): what each lifecycle event adds, and how rows sum up."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

try:
    from zoneinfo import ZoneInfo

    LOCAL_TZ: timezone | ZoneInfo = ZoneInfo("Asia/Shanghai")
except Exception:  # noqa: BLE001 - no tz database: China has kept UTC+8 without DST since 1991
    LOCAL_TZ = timezone(timedelta(hours=8))

COUNTERS = ("created", "closed", "closed_within_limit", "first_contact_resolved", "reopened", "repeat_contacts", "linked_to_outage")
UNKNOWN_TYPE = "unknown"


def local_day(at: datetime) -> str:
    """The reporting day (local time in China) an instant belongs to, 'YYYY-MM-DD'."""
    return at.astimezone(LOCAL_TZ).date().isoformat()


@dataclass(frozen=True)
class Increment:
    """统计增量: counters one event adds to a tenant's row for a day and business type."""

    day: str
    business_type: str
    counts: dict[str, int]
    channel: str | None = None


@dataclass
class Totals:
    """汇总: counters summed over rows, with the derived rates reports show."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    channels: dict[str, int] = field(default_factory=dict)

    def add(self, row: dict[str, Any]) -> None:
        for name in COUNTERS:
            self.counts[name] += int(row.get(name, 0))
        for channel, n in (row.get("channels") or {}).items():
            self.channels[channel] = self.channels.get(channel, 0) + int(n)

    def as_dict(self) -> dict[str, Any]:
        closed = self.counts["closed"]
        return {
            **self.counts,
            "channels": dict(sorted(self.channels.items())),
            "timeliness_rate": round(self.counts["closed_within_limit"] / closed, 4) if closed else None,
            "first_contact_resolution_rate": round(self.counts["first_contact_resolved"] / closed, 4) if closed else None,
        }


def summarise(rows: Iterable[dict[str, Any]]) -> tuple[Totals, dict[str, Totals], dict[str, Totals]]:
    """(overall, by tenant, by business type) totals of daily rows."""
    overall = Totals()
    by_unit: dict[str, Totals] = {}
    by_type: dict[str, Totals] = {}
    for row in rows:
        overall.add(row)
        by_unit.setdefault(row["tenant"], Totals()).add(row)
        by_type.setdefault(row["business_type"], Totals()).add(row)
    return overall, by_unit, by_type


def days_between(start: date, end: date) -> int:
    return (end - start).days + 1


def mask_account(account_no: str | None) -> str:
    """户号脱敏: keep the last four digits of a customer account number."""
    if not account_no:
        return ""
    return "*" * max(len(account_no) - 4, 0) + account_no[-4:]


def csv_safe(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
