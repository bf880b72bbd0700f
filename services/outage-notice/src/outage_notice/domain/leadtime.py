"""Lead-time rules (报送提前量): how far ahead an outage, or a change to it, must reach 95598."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from outage_notice.domain.outage import Outage
from servicekit.errors import FieldError, invalid

ANY_TYPE = "*"


@dataclass(frozen=True)
class LeadTimeRules:
    """停电报送提前量规则: minutes ahead per outage type, and for an earlier cut / later restoration."""

    min_lead_minutes: dict[str, int]  # outage type ("*" = every other type) -> minutes
    change_notice_minutes: int

    def required_for(self, outage_type: str) -> int:
        return self.min_lead_minutes.get(outage_type, self.min_lead_minutes.get(ANY_TYPE, 0))

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> LeadTimeRules:
        rows = {row["outage_type"]: int(row["min_lead_minutes"]) for row in doc["rows"]}
        return cls(rows, int(doc["settings"]["change_notice_minutes"]))


@dataclass(frozen=True)
class LeadVerdict:
    """The result of checking a report: late or not, and by how much."""

    late: bool
    required_minutes: int
    lead_minutes: int


def evaluate_report(rules: LeadTimeRules, outage_type: str, planned_start: datetime, reported_at: datetime) -> LeadVerdict:
    """A late report is accepted but flagged (and counted against the reporting unit)."""
    required = rules.required_for(outage_type)
    lead = int((planned_start - reported_at).total_seconds() // 60)
    return LeadVerdict(lead < required, required, lead)


def check_change(rules: LeadTimeRules, outage: Outage, new_values: dict[str, Any], now: datetime) -> None:
    """Refuse an earlier cut or a later restoration announced with less than the required notice.

    Only an announced outage binds: before publication nobody has been told anything yet.
    The earlier cut is measured to the new start; the later restoration to the end customers were told.
    """
    if not outage.announced:
        return
    minutes = rules.change_notice_minutes
    errors: list[FieldError] = []
    new_start = new_values.get("planned_start")
    if new_start is not None and new_start < outage.planned_start and _minutes(new_start - now) < minutes:
        errors.append(_late_field("planned_start", "提前停电", "an earlier cut", minutes))
    new_end = new_values.get("planned_end")
    old_end = outage.planned_end
    if new_end is not None and old_end is not None and new_end > old_end and _minutes(old_end - now) < minutes:
        errors.append(_late_field("planned_end", "推迟送电", "a later restoration", minutes))
    if errors:
        raise invalid(
            f"变更须至少提前{minutes}分钟告知95598", f"the change must reach 95598 at least {minutes} min ahead",
            code="change_notice_too_short", fields=errors,
        )


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


def _late_field(name: str, what_zh: str, what_en: str, minutes: int) -> FieldError:
    return FieldError(
        f"body.{name}",
        f"{what_zh}须至少提前{minutes}分钟报送并说明原因",
        f"{what_en} must be reported at least {minutes} min ahead with a reason",
        "notice_too_short",
    )
