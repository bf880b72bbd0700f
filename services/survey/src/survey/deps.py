"""What the entrypoints share (依赖): repositories, publisher, metrics, clock, calendar and the default rule table."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any

from survey.domain.calendar import is_workday
from survey.domain.model import RuleTable, parse_rows
from survey.ports import Clock, Publish, RuleStore, SurveyMetricsPort, VisitRepo


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
class SurveyDeps:
    hosted: list[str]
    visits: VisitRepo
    rules: RuleStore
    publish: Publish
    metrics: SurveyMetricsPort
    clock: Clock = utc_now
    is_workday: Callable[[date], bool] = is_workday
