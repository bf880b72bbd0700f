"""What the use cases and entrypoints share (依赖): the unit of work, read-only ports, rule tables, metrics, clock, calendar."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from servicekit.calendar import BusinessCalendar
from servicekit.calendar_store import CALENDAR_TABLES, calendar_defaults, tenant_calendar
from servicekit.errors import FieldError
from servicekit.rules import RuleStore, Validator
from survey.domain.model import RETURN_VISIT, RuleError, parse_rows
from survey.ports import Clock, SurveyMetricsPort, VisitReader, VisitUnitOfWork


def check_return_visit(tenant: str, version: Mapping[str, Any]) -> list[FieldError]:
    try:
        parse_rows(version["rows"])
    except RuleError as exc:
        return [FieldError(loc, zh, en) for loc, zh, en in exc.problems]
    return []


# The tables survey reads (servicekit.rules), each with its check: its own, and the platform's business calendar.
RULE_TABLES: dict[str, Validator] = {RETURN_VISIT: check_return_visit, **CALENDAR_TABLES}


def default_rules() -> dict[str, Any]:
    """The shipped defaults (data/return_visit_rules.json; the shipped holiday schedule, no day overrides),
    loaded into tenants that have none."""
    raw: dict[str, Any] = json.loads(resources.files("survey").joinpath("data/return_visit_rules.json").read_text("utf-8"))
    return {RETURN_VISIT: raw, **calendar_defaults()}


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    """Built by `survey.bootstrap`: MongoDB adapters (`bootstrap`) or in-memory fakes (`fake_bootstrap`)."""

    hosted: list[str]
    uow: Callable[[str], VisitUnitOfWork]  # a tenant's unit of work: visits written together with their events
    visits: VisitReader
    rules: RuleStore  # servicekit.rules: `return_visit` and the shared `calendar` overrides
    metrics: SurveyMetricsPort
    clock: Clock = utc_now

    async def calendar(self, tenant: str, at: datetime) -> BusinessCalendar:
        """The tenant's business calendar: its State Council schedule plus its override rows (built once per content)."""
        return await tenant_calendar(self.rules, tenant, at)
