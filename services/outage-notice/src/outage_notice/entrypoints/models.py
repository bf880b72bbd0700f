"""HTTP bodies and views (pydantic lives here, at the edge)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from hotline_contracts.events.common import OutageType, ShortText, UnitCode
from hotline_contracts.events.outage import OutageScope
from outage_notice.domain.lookup import TYPE_ZH
from outage_notice.domain.outage import Outage, Revision

_SCOPE_EXAMPLE = {"feeder_codes": ["F-370102-0101"], "ta_codes": [], "station_codes": [], "area": "历下区泉城路以南区域"}


class ReportBody(BaseModel):
    """停电信息报送."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "outage_type": "planned", "scope": _SCOPE_EXAMPLE, "planned_start": "2026-11-28T08:00:00+08:00",
            "planned_end": "2026-11-28T17:00:00+08:00", "cause": "10kV泉城路112线路计划检修", "reporting_unit": "370102",
        }]},
    )

    outage_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="报送方编号，缺省自动生成")
    unit: UnitCode | None = Field(default=None, description="停电所属单位（缺省为令牌单位）; owning unit, default the caller's")
    outage_type: OutageType
    scope: OutageScope
    planned_start: AwareDatetime
    planned_end: AwareDatetime | None = None
    cause: ShortText
    reporting_unit: UnitCode | None = Field(default=None, description="报送单位（缺省为令牌单位）")
    publish: bool = Field(default=True, description="报送即发布; publish at once")

    @model_validator(mode="after")
    def _end_after_start(self) -> ReportBody:
        if self.planned_end is not None and self.planned_end <= self.planned_start:
            raise ValueError("planned_end must be after planned_start")
        return self


class ChangeBody(BaseModel):
    """停电信息变更（含延长送电时间）: reason is always required."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"planned_end": "2026-11-28T19:00:00+08:00", "reason": "现场发现隐患需一并处理，送电时间推迟"}]},
    )

    scope: OutageScope | None = None
    planned_start: AwareDatetime | None = None
    planned_end: AwareDatetime | None = None
    cause: ShortText | None = None
    reason: ShortText = Field(description="变更原因（必填）; why")

    def values(self) -> dict[str, Any]:
        from outage_notice.domain.outage import Scope

        out = self.model_dump(exclude_none=True, exclude={"reason", "scope"})
        if self.scope is not None:
            out["scope"] = Scope.from_dict(self.scope.model_dump())
        return out


class StepBody(BaseModel):
    """停电/送电 step: when (default now) and a remark."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"at": "2026-11-28T08:02:00+08:00", "remark": "已按计划停电"}]})

    at: AwareDatetime | None = None
    remark: ShortText | None = None


class CancelBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "因天气原因检修计划取消"}]})

    reason: ShortText


class RevisionView(BaseModel):
    seq: int
    action: str
    at: datetime
    by: str
    reason: str | None
    version: int
    changed: dict[str, Any]

    @classmethod
    def of(cls, r: Revision) -> RevisionView:
        changed = {k: {s: (v.as_dict() if hasattr(v, "as_dict") else v) for s, v in pair.items()} for k, pair in r.changed.items()}
        return cls(seq=r.seq, action=r.action, at=r.at, by=r.by, reason=r.reason, version=r.version, changed=changed)


class OutageView(BaseModel):
    """停电信息 (no customer data)."""

    tenant: str
    outage_id: str
    outage_type: str
    outage_type_zh: str
    state: str
    scope: dict[str, Any]
    planned_start: datetime
    planned_end: datetime | None
    cause: str
    reporting_unit: str
    version: int
    late: bool
    required_lead_minutes: int
    lead_minutes: int
    affected_customers: int
    important_customers: int
    started_at: datetime | None
    restored_at: datetime | None
    cancelled_at: datetime | None
    revisions: list[RevisionView] | None = None
    linked_calls: int | None = Field(default=None, description="关联来电数（每工单一次）; repair calls linked to it, one per ticket")

    @classmethod
    def of(cls, o: Outage, revisions: list[Revision] | None = None) -> OutageView:
        return cls(
            tenant=o.tenant, outage_id=o.outage_id, outage_type=o.outage_type, outage_type_zh=TYPE_ZH.get(o.outage_type, ""),
            state=o.state.value, scope=o.scope.as_dict(), planned_start=o.planned_start, planned_end=o.planned_end,
            cause=o.cause, reporting_unit=o.reporting_unit, version=o.version, late=o.late,
            required_lead_minutes=o.required_lead_minutes, lead_minutes=o.lead_minutes,
            affected_customers=o.affected_customers, important_customers=o.important_customers,
            started_at=o.started_at, restored_at=o.restored_at, cancelled_at=o.cancelled_at,
            revisions=[RevisionView.of(r) for r in revisions] if revisions is not None else None,
        )


class MatchView(BaseModel):
    tenant: str
    outage_id: str
    status: str = Field(description="active 正在停电 / upcoming 即将停电")
    outage_type: str
    cause: str
    planned_start: datetime
    expected_restoration: datetime | None
    area: str | None
    script_zh: str
    script_en: str


class LookupView(BaseModel):
    """是否已知、原因、预计恢复时间."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "known": True, "at": "2026-11-28T10:00:00+08:00", "cause": "10kV泉城路112线路计划检修",
        "expected_restoration": "2026-11-28T17:00:00+08:00",
        "script_zh": "您好，您所在区域的停电我们已经知道，属于计划停电，原因：10kV泉城路112线路计划检修，预计11月28日17:00恢复供电，请您耐心等待。",
        "script_en": "This outage is known (planned): ...; power is expected back by 2026-11-28 17:00.", "matches": [],
    }]})

    known: bool = Field(description="是否已知")
    at: datetime
    cause: str | None = Field(description="原因")
    expected_restoration: datetime | None = Field(description="预计恢复时间")
    script_zh: str
    script_en: str
    matches: list[MatchView]
