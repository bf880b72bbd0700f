"""What every dispatch use case is handed (built by `dispatch.bootstrap`): the unit-of-work factory,
read-only ports, the clock and the metrics. Nothing here publishes: events leave through the outbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from dispatch.domain.clocks import ClockRules, clock_rule_from_row
from dispatch.metrics import DispatchMetrics
from dispatch.ports import (
    Clock,
    CrewDirectory,
    DispatchUnitOfWork,
    HandoverReader,
    HeldCrewReports,
    OrderReader,
    OutageOutcomes,
)
from servicekit.calendar import BusinessCalendar
from servicekit.calendar_store import tenant_calendar
from servicekit.calendar_watch import CalendarWatch
from servicekit.rules import RuleStore


@dataclass
class Deps:
    uow: Callable[[str], DispatchUnitOfWork]  # a tenant's unit of work: every write, with its events
    orders: OrderReader
    handovers: HandoverReader
    rules: RuleStore  # rule tables: read by the use cases, saved by the admin API (no events)
    crews: CrewDirectory
    outcomes: OutageOutcomes  # how known outages ended (the orders waiting on them are settled by it)
    clock: Clock
    held: HeldCrewReports  # crew reports read before their predecessor (dispatch.crew_reports)
    crew_hold_seconds: float = 300.0  # how long such a report waits before it is dead-lettered (a setting)
    metrics: DispatchMetrics = field(default_factory=DispatchMetrics.create)
    calendar_watch: CalendarWatch = field(default_factory=CalendarWatch)  # hotline_calendar_year_unconfirmed
    _clock_rules: dict[tuple, ClockRules] = field(default_factory=dict)

    async def calendar(self, tenant: str, at: datetime) -> BusinessCalendar:
        """The tenant's business calendar: its State Council schedule plus its override rows (built once per content)."""
        return await tenant_calendar(self.rules, tenant, at)

    async def clock_rules(self, tenant: str, at: datetime) -> ClockRules:
        rows = await self.rules.active(tenant, "timelimits", at)
        key = tuple(row["id"] + repr(sorted(row.items())) for row in rows)
        if key not in self._clock_rules:
            self._clock_rules[key] = ClockRules([clock_rule_from_row(r) for r in rows])
        return self._clock_rules[key]

    async def warning_table(self, tenant: str, at: datetime) -> dict:
        rows = await self.rules.active(tenant, "warnings", at)
        return rows[0] if rows else {"levels": [], "pause_reasons": []}
