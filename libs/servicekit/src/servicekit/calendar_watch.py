"""Watch for years without a confirmed holiday schedule (工作日历缺年告警): a gauge and a warning, never a silent guess.

`hotline_calendar_year_unconfirmed{tenant,year}` is 1 while a year a service counts working days in has
no confirmed State Council schedule in that tenant's `holiday_schedule` table, 0 once it has; the
chart's PrometheusRule alerts on it (deploy/helm/hotline/rules). Services call `check` at start-up
for this year and the next (the notice for next year is due in November), after a schedule is saved,
and for the years a due-time query reaches.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Gauge

from servicekit.calendar import BusinessCalendar

log = logging.getLogger(__name__)
METRIC = "hotline_calendar_year_unconfirmed"


class CalendarWatch:
    """The gauge of unconfirmed years per tenant, and one warning log line per tenant and year that turns unconfirmed."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.gauge = Gauge(METRIC, "1 while a year has no confirmed State Council holiday schedule (工作日历未确认)",
                           ["tenant", "year"], registry=registry or CollectorRegistry())
        self._warned: set[tuple[str, int]] = set()

    def check(self, tenant: str, calendar: BusinessCalendar, years: Iterable[int]) -> list[int]:
        """Set the gauge for `years`; returns the unconfirmed ones (logged once each while they stay unconfirmed)."""
        missing = []
        for year in sorted(set(years)):
            confirmed = calendar.confirmed(year)
            self.gauge.labels(tenant=tenant, year=str(year)).set(0 if confirmed else 1)
            if confirmed:
                self._warned.discard((tenant, year))
                continue
            missing.append(year)
            if (tenant, year) not in self._warned:
                self._warned.add((tenant, year))
                log.warning(
                    "工作日历 %s 年无国务院正式放假安排，工作日按推定或周一至周五计算 / no confirmed State Council holiday "
                    "schedule for %s: working days are projected or Monday-Friday until it is imported (tenant %s)",
                    year, year, tenant, extra={"tenant": tenant, "year": year, "alert": METRIC},
                )
        return missing
