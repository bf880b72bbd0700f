"""Return visits (回访) and their due-time rules: plain dataclasses and pure functions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
RETURN_VISIT = "return_visit"  # the rule table (servicekit.rules) of return-visit due times
SATISFIED_RESULTS = frozenset({"satisfied", "fairly_satisfied"})
SURVEYED_RESULTS = SATISFIED_RESULTS | {"unsatisfied"}  # 联系不上 is not a survey answer
RESULTS = (*sorted(SURVEYED_RESULTS), "unreachable")


@dataclass
class ReturnVisit:
    """回访任务: one follow-up call for one closure of one work order."""

    tenant: str
    visit_id: str
    ticket_id: str
    business_type: str
    responsible_unit: str
    closed_at: datetime
    due_at: datetime
    source_event_id: str
    method: str = "phone"
    state: str = "scheduled"  # scheduled → completed; or skipped (不回访: the decision not to visit, kept for idempotency)
    skip_reason: str | None = None
    result: str | None = None
    comment: str | None = None
    attempts: int = 0
    by: str | None = None
    completed_at: datetime | None = None
    reopen_requested: bool = False
    correlation_id: str | None = None


@dataclass(frozen=True)
class VisitRule:
    """回访时限规则行: a delay in hours, or in working days; skip means no visit for that type.

    `sample_percent` (抽样比例) is the share of the type's answered orders that are visited (default all).
    """

    business_type: str
    delay_hours: float | None = None
    working_days: int | None = None
    skip: bool = False
    sample_percent: float = 100.0


@dataclass(frozen=True)
class RuleTable:
    """An effective-dated version of a tenant's return-visit rules."""

    tenant: str
    effective_from: datetime
    effective_to: datetime | None
    version: int
    rows: tuple[VisitRule, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, version: Mapping[str, Any]) -> RuleTable:
        """A stored version of the `return_visit` table (servicekit.rules), as the domain reads it."""
        return cls(version["tenant"], version["effective_from"], version.get("effective_to"), version["version"],
                   parse_rows(version["rows"]))

    def rule_for(self, business_type: str) -> VisitRule | None:
        exact = [r for r in self.rows if r.business_type == business_type]
        fallback = [r for r in self.rows if r.business_type == "*"]
        rules = exact or fallback
        return rules[0] if rules else None


class RuleError(ValueError):
    """A rule table that cannot be used; `problems` are (field, zh, en)."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        super().__init__("; ".join(p[2] for p in problems))
        self.problems = problems


def parse_rows(rows: list[Mapping[str, Any]]) -> tuple[VisitRule, ...]:
    """Validate rule rows: each has exactly one of delay_hours (>0) / working_days (>=1) unless skipped."""
    problems: list[tuple[str, str, str]] = []
    parsed: list[VisitRule] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        bt = str(row.get("business_type") or "")
        hours, days, skip = row.get("delay_hours"), row.get("working_days"), bool(row.get("skip", False))
        if not bt or bt in seen:
            problems.append((f"rows.{i}.business_type", "业务类型为空或重复", "business type missing or repeated"))
        seen.add(bt)
        given = [v for v in (hours, days) if v is not None]
        if not skip and len(given) != 1:
            problems.append((f"rows.{i}", "须且仅须给出 delay_hours 或 working_days", "give exactly one of delay_hours, working_days"))
        elif hours is not None and not (isinstance(hours, int | float) and 0 < hours <= 24 * 31):
            problems.append((f"rows.{i}.delay_hours", "小时数须在 0 到 744 之间", "delay_hours must be in (0, 744]"))
        elif days is not None and not (isinstance(days, int) and 1 <= days <= 30):
            problems.append((f"rows.{i}.working_days", "工作日数须在 1 到 30 之间", "working_days must be 1..30"))
        percent = row.get("sample_percent", 100)
        if not (isinstance(percent, int | float) and not isinstance(percent, bool) and 0 <= percent <= 100):
            problems.append((f"rows.{i}.sample_percent", "抽样比例须在 0 到 100 之间", "sample_percent must be in [0, 100]"))
            percent = 100
        parsed.append(VisitRule(bt, float(hours) if hours is not None else None, days, skip, float(percent)))
    if not rows:
        problems.append(("rows", "规则表不能为空", "the table needs at least one row"))
    if problems:
        raise RuleError(problems)
    return tuple(parsed)


def add_working_days(start: datetime, days: int, is_workday: Callable[[date], bool]) -> datetime:
    """The same local time of day, `days` working days later (节假日顺延)."""
    local = start.astimezone(LOCAL_TZ)
    day, left = local.date(), days
    while left > 0:
        day += timedelta(days=1)
        if is_workday(day):
            left -= 1
    return datetime.combine(day, local.timetz())


def due_time(rule: VisitRule, closed_at: datetime, is_workday: Callable[[date], bool]) -> datetime:
    if rule.working_days is not None:
        return add_working_days(closed_at, rule.working_days, is_workday)
    return closed_at + timedelta(hours=rule.delay_hours or 0)


def visit_id_for(ticket_id: str, earlier_visits: int) -> str:
    """RV-<ticket> for the first closure; a reopened and re-closed order gets RV-<ticket>-2, -3…"""
    base = f"RV-{ticket_id}"
    return base if earlier_visits == 0 else f"{base}-{earlier_visits + 1}"


def satisfaction_ratio(counts: Mapping[str, int]) -> float | None:
    """满意率 = (满意 + 基本满意) ÷ 已调查 (联系不上 excluded); None before anyone answered."""
    surveyed = sum(counts.get(r, 0) for r in SURVEYED_RESULTS)
    if surveyed == 0:
        return None
    return sum(counts.get(r, 0) for r in SATISFIED_RESULTS) / surveyed
