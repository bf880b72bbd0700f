"""Outage information (停电信息): the announced plan, its lifecycle and every revision kept."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from servicekit.errors import FieldError, conflict, invalid


class OutageState(StrEnum):
    """停电信息状态: reported → published → started → restored, or cancelled."""

    REPORTED = "reported"  # 已报送
    PUBLISHED = "published"  # 已发布
    STARTED = "started"  # 已停电
    RESTORED = "restored"  # 已送电
    CANCELLED = "cancelled"  # 已取消


CURRENT_STATES = (OutageState.PUBLISHED, OutageState.STARTED)
CHANGEABLE = ("scope", "planned_start", "planned_end", "cause")


@dataclass(frozen=True)
class Scope:
    """停电范围: supply stations, feeders, transformer areas and/or an area text."""

    station_codes: tuple[str, ...] = ()
    feeder_codes: tuple[str, ...] = ()
    ta_codes: tuple[str, ...] = ()
    area: str | None = None

    def covers(self, *, station: str | None, feeder: str | None, ta: str | None) -> bool:
        """True when a point of the grid (a customer's station/feeder/transformer area) lies inside."""
        return bool(
            (station and station in self.station_codes)
            or (feeder and feeder in self.feeder_codes)
            or (ta and ta in self.ta_codes)
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "station_codes": list(self.station_codes),
            "feeder_codes": list(self.feeder_codes),
            "ta_codes": list(self.ta_codes),
            "area": self.area,
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Scope:
        return cls(
            station_codes=tuple(doc.get("station_codes") or ()),
            feeder_codes=tuple(doc.get("feeder_codes") or ()),
            ta_codes=tuple(doc.get("ta_codes") or ()),
            area=doc.get("area"),
        )


@dataclass(frozen=True)
class Revision:
    """停电信息版本记录: one change, who made it, when and why, with the changed fields."""

    seq: int
    action: str
    at: datetime
    by: str
    reason: str | None = None
    changed: dict[str, Any] = field(default_factory=dict)  # field -> {"old": ..., "new": ...}
    version: int = 0  # announcement version after this revision


@dataclass(frozen=True)
class Outage:
    """停电信息: one announced (or reported) outage of a tenant's grid."""

    tenant: str
    outage_id: str
    outage_type: str
    scope: Scope
    planned_start: datetime
    planned_end: datetime | None
    cause: str
    reporting_unit: str
    reported_by: str
    reported_at: datetime
    state: OutageState = OutageState.REPORTED
    version: int = 0  # announcements made: 1 at publication, +1 per change after it
    seq: int = 1  # revisions stored (optimistic-concurrency token)
    late: bool = False
    required_lead_minutes: int = 0
    lead_minutes: int = 0
    affected_customers: int = 0
    important_customers: int = 0
    published_at: datetime | None = None
    started_at: datetime | None = None
    restored_at: datetime | None = None
    cancelled_at: datetime | None = None
    renotice_done: bool = False

    @property
    def announced(self) -> bool:
        return self.state in CURRENT_STATES

    def expected_end(self) -> datetime | None:
        return self.planned_end


def _refuse(action: str, outage: Outage) -> Exception:
    return conflict(
        f"停电信息当前状态（{outage.state.value}）不允许{_ACTION_ZH.get(action, action)}",
        f"outage in state {outage.state.value} cannot be {action}",
        code="invalid_transition",
    )


_ACTION_ZH = {"published": "发布", "started": "停电", "restored": "送电", "cancelled": "取消", "changed": "变更"}
_FROM = {
    "published": (OutageState.REPORTED,),
    "started": (OutageState.PUBLISHED,),
    "restored": (OutageState.STARTED,),
    "cancelled": (OutageState.REPORTED, OutageState.PUBLISHED),
    "changed": (OutageState.REPORTED, OutageState.PUBLISHED, OutageState.STARTED),
}
_TO = {
    "published": OutageState.PUBLISHED,
    "started": OutageState.STARTED,
    "restored": OutageState.RESTORED,
    "cancelled": OutageState.CANCELLED,
}
_STAMP = {"published": "published_at", "started": "started_at", "restored": "restored_at", "cancelled": "cancelled_at"}


def transition(outage: Outage, action: str, *, by: str, at: datetime, reason: str | None = None) -> tuple[Outage, Revision]:
    """Move the lifecycle on (publish, start, restore, cancel); anything else is refused with 409."""
    if outage.state not in _FROM[action]:
        raise _refuse(action, outage)
    if action == "cancelled" and not reason:
        raise invalid(
            "取消停电必须说明原因", "a cancellation needs a reason",
            fields=[FieldError("body.reason", "请填写取消原因", "reason is required", "missing")],
        )
    version = 1 if action == "published" else outage.version
    stamp: dict[str, Any] = {_STAMP[action]: at}  # published_at, started_at, ...
    updated = replace(outage, state=_TO[action], version=version, seq=outage.seq + 1, **stamp)
    changed = {"state": {"old": outage.state.value, "new": updated.state.value}}
    return updated, Revision(updated.seq, action, at, by, reason, changed, version)


def apply_change(outage: Outage, new_values: dict[str, Any], *, by: str, at: datetime, reason: str) -> tuple[Outage, Revision]:
    """Apply changed fields (already checked against the notice rules); unchanged values are ignored."""
    if outage.state not in _FROM["changed"]:
        raise _refuse("changed", outage)
    diff = {k: v for k, v in new_values.items() if k in CHANGEABLE and getattr(outage, k) != v}
    if not diff:
        raise invalid("没有需要变更的内容", "nothing to change", code="no_change")
    start = diff.get("planned_start", outage.planned_start)
    end = diff.get("planned_end", outage.planned_end)
    if end is not None and end <= start:
        raise invalid(
            "预计送电时间必须晚于停电时间", "planned_end must be after planned_start",
            fields=[FieldError("body.planned_end", "送电时间须晚于停电时间", "must be after planned_start")],
        )
    version = outage.version + 1 if outage.announced else outage.version
    updated = replace(outage, seq=outage.seq + 1, version=version, renotice_done=outage.renotice_done and "planned_start" not in diff, **diff)
    changed = {k: {"old": _plain(getattr(outage, k)), "new": _plain(v)} for k, v in diff.items()}
    return updated, Revision(updated.seq, "changed", at, by, reason, changed, version)


def _plain(value: Any) -> Any:
    return value.as_dict() if isinstance(value, Scope) else value


def first_revision(outage: Outage) -> Revision:
    return Revision(1, "reported", outage.reported_at, outage.reported_by, None, {}, 0)
