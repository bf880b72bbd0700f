"""Outage information (停电信息) events: reported, published, updated, started, restored, cancelled."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from hotline_contracts.envelope import EventData
from hotline_contracts.events.common import (
    ActorId,
    GridCode,
    LongText,
    OutageId,
    OutageType,
    ShortText,
    UnitCode,
)


class OutageScope(BaseModel):
    """停电范围: the grid objects and area an outage covers; at least one must be given."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    station_codes: list[GridCode] = Field(default_factory=list, description="供电所; supply stations")
    feeder_codes: list[GridCode] = Field(default_factory=list, description="线路; feeders")
    ta_codes: list[GridCode] = Field(default_factory=list, description="台区; transformer areas")
    area: ShortText | None = Field(
        default=None,
        examples=["历下区泉城路以南、黑虎泉西路以东区域"],
        description="停电区域描述（告知客户）; area description read to customers",
    )

    @model_validator(mode="after")
    def _not_empty(self) -> OutageScope:
        if not (self.station_codes or self.feeder_codes or self.ta_codes or self.area):
            raise ValueError("an outage scope names at least one station, feeder, area or text")
        return self


class _OutagePlan(EventData):
    """停电计划字段: what is announced about an outage (not registered itself)."""

    outage_id: OutageId
    outage_type: OutageType
    scope: OutageScope
    planned_start: AwareDatetime = Field(description="计划停电时间; announced start")
    planned_end: AwareDatetime | None = Field(
        default=None, description="预计送电时间（故障停电可先为空）; estimated restoration"
    )
    cause: ShortText = Field(examples=["10kV泉城路112线路检修"])
    reporting_unit: UnitCode = Field(description="报送单位; unit that reported the outage")
    affected_customers: int = Field(ge=0, description="影响户数; customers affected")
    important_customers: int = Field(default=0, ge=0, description="影响重要用户数; important ones")

    @model_validator(mode="after")
    def _ends_after_start(self) -> _OutagePlan:
        if self.planned_end is not None and self.planned_end <= self.planned_start:
            raise ValueError("planned_end must be after planned_start")
        if self.important_customers > self.affected_customers:
            raise ValueError("important_customers cannot exceed affected_customers")
        return self


class OutageReportedV1(_OutagePlan):
    """停电信息报送: a unit reported an outage to 95598."""

    event_name: ClassVar[str] = "outage.reported"
    event_version: ClassVar[int] = 1

    reported_by: ActorId
    reported_at: AwareDatetime
    late: bool = Field(
        default=False,
        description="报送晚于规定提前量（计入报送单位）; reported with less lead time than the rule",
    )
    required_lead_minutes: int | None = Field(
        default=None, ge=0, description="规则要求的提前量（分钟）; lead time the rule required"
    )


class OutagePublishedV1(_OutagePlan):
    """停电信息发布: 95598 published the outage; calls from its scope are now linked to it."""

    event_name: ClassVar[str] = "outage.published"
    event_version: ClassVar[int] = 1

    version: int = Field(default=1, ge=1, description="停电信息版本; first publication is 1")
    notice_text: LongText = Field(
        examples=["因10kV泉城路112线路检修，11月28日8:00-17:00历下区泉城路以南区域停电。"],
        description="公告正文; notice text",
    )
    published_by: ActorId
    published_at: AwareDatetime


ChangeableField = Literal["scope", "planned_start", "planned_end", "cause", "affected_customers"]


class OutageUpdatedV1(EventData):
    """停电信息变更: the announced outage changed (earlier cut, later restoration, wider scope...).

    `version` counts publications (the first is 1); the changed fields carry their new values.
    """

    event_name: ClassVar[str] = "outage.updated"
    event_version: ClassVar[int] = 1

    outage_id: OutageId
    version: int = Field(ge=2, description="变更后的版本号; version after this change")
    changed_fields: list[ChangeableField] = Field(min_length=1, examples=[["planned_end"]])
    reason: ShortText = Field(examples=["现场发现隐患需一并处理，送电时间推迟"])
    scope: OutageScope | None = None
    planned_start: AwareDatetime | None = None
    planned_end: AwareDatetime | None = None
    cause: ShortText | None = None
    affected_customers: int | None = Field(default=None, ge=0)
    late: bool = Field(
        default=False, description="变更告知晚于1小时要求; told 95598 less than 1 h ahead"
    )
    updated_by: ActorId
    updated_at: AwareDatetime

    @model_validator(mode="after")
    def _changed_fields_have_values(self) -> OutageUpdatedV1:
        if len(set(self.changed_fields)) != len(self.changed_fields):
            raise ValueError("changed_fields must not repeat")
        missing = [name for name in self.changed_fields if getattr(self, name) is None]
        if missing:
            raise ValueError(f"changed fields without a new value: {missing}")
        return self


class OutageStartedV1(EventData):
    """停电开始: power was actually cut."""

    event_name: ClassVar[str] = "outage.started"
    event_version: ClassVar[int] = 1

    outage_id: OutageId
    started_at: AwareDatetime
    reported_by: ActorId
    # Optional since 2026-11: lets a consumer that missed the publication still match calls to it.
    outage_type: OutageType | None = None
    scope: OutageScope | None = None
    cause: ShortText | None = None
    planned_end: AwareDatetime | None = Field(default=None, description="预计送电时间; estimated restoration")


class OutageRestoredV1(EventData):
    """送电 / 复电: power is back for the outage's scope."""

    event_name: ClassVar[str] = "outage.restored"
    event_version: ClassVar[int] = 1

    outage_id: OutageId
    restored_at: AwareDatetime
    reported_by: ActorId
    remark: ShortText | None = None


class OutageCancelledV1(EventData):
    """停电取消: an announced outage will not happen."""

    event_name: ClassVar[str] = "outage.cancelled"
    event_version: ClassVar[int] = 1

    outage_id: OutageId
    reason: ShortText = Field(examples=["因天气原因检修计划取消"])
    cancelled_by: ActorId
    cancelled_at: AwareDatetime
