"""What the use cases and entrypoints share (依赖): the unit of work, read-only ports, metrics, clock and calendar."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any

from survey.domain.calendar import is_workday
from survey.domain.model import RuleTable, parse_rows
from survey.ports import Clock, RuleStore, SurveyMetricsPort, VisitReader, VisitUnitOfWork


def default_table(tenant: str) -> RuleTable:
    """The shipped default (data/return_visit_rules.json) for one tenant."""
    raw: dict[str, Any] = json.loads(resources.files("survey").joinpath("data/return_visit_rules.json").read_text("utf-8"))
    return RuleTable(
        tenant=tenant, effective_from=datetime.fromisoformat(raw["effective_from"]),
        effective_to=datetime.fromisoformat(raw["effective_to"]) if raw.get("effective_to") else None,
        version=int(raw["version"]), rows=parse_rows(raw["rows"]),
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    """Built by `survey.bootstrap`: MongoDB adapters (`bootstrap`) or in-memory fakes (`fake_bootstrap`)."""

    hosted: list[str]
    uow: Callable[[str], VisitUnitOfWork]  # a tenant's unit of work: visits written together with their events
    visits: VisitReader
    rules: RuleStore
    metrics: SurveyMetricsPort
    clock: Clock = utc_now
    is_workday: Callable[[date], bool] = is_workday
