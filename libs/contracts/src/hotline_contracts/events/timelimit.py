"""Time-limit (时限) events: staged warnings, breaches, urging (催办) and supervision (督办)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import AwareDatetime, Field, model_validator

from hotline_contracts.envelope import EventData
from hotline_contracts.events.common import (
    ActorId,
    BusinessType,
    ShortText,
    TicketId,
    UnitCode,
    UrgeMode,
)
from hotline_contracts.tenancy import is_within

ClockName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z][a-z0-9_]*$",
        examples=["crew_arrival"],
        description="时限名称（规则表中的键）; clock name, a key of the effective-dated rule table",
    ),
]


class TimeLimitWarningV1(EventData):
    """时限预警: a clock passed a warning threshold (four levels, default 50/75/90/100 %)."""

    event_name: ClassVar[str] = "timelimit.warning_raised"
    event_version: ClassVar[int] = 1

    ticket_id: TicketId
    clock: ClockName
    level: int = Field(ge=1, le=4, description="预警级别 1-4; warning level")
    percent: float = Field(
        ge=0, le=100, examples=[75], description="已用时限百分比（达到的阈值）; share of the limit used"
    )
    due_at: AwareDatetime = Field(description="时限到期时间; when the limit is breached")
    owner_unit: UnitCode = Field(description="当前责任单位; unit that owns the order now")
    rule_id: str | None = Field(default=None, max_length=64, description="时限规则版本; rule row used")
    at: AwareDatetime


class TimeLimitBreachedV1(EventData):
    """超时: a clock ran out before the step it measures was done."""

    event_name: ClassVar[str] = "timelimit.breached"
    event_version: ClassVar[int] = 1

    ticket_id: TicketId
    clock: ClockName
    business_type: BusinessType
    due_at: AwareDatetime
    owner_unit: UnitCode
    rule_id: str | None = Field(default=None, max_length=64)
    at: AwareDatetime = Field(description="发现超时的时间; when the breach was detected")

    @model_validator(mode="after")
    def _after_due(self) -> TimeLimitBreachedV1:
        if self.at < self.due_at:
            raise ValueError("a breach cannot be detected before due_at")
        return self


class TicketUrgedV1(EventData):
    """催办: the owner of an order was reminded, by a person or automatically at a warning."""

    event_name: ClassVar[str] = "ticket.urged"
    event_version: ClassVar[int] = 1

    ticket_id: TicketId
    mode: UrgeMode
    to_unit: UnitCode = Field(description="被催办单位; unit being urged")
    reason: ShortText = Field(examples=["到达现场时限已用75%，请尽快到达"])
    by: ActorId = Field(examples=["system:dispatch", "agent:zhangsan"])
    warning_level: int | None = Field(
        default=None, ge=1, le=4, description="触发催办的预警级别（自动催办）; level behind an automatic urge"
    )
    at: AwareDatetime

    @model_validator(mode="after")
    def _automatic_has_level(self) -> TicketUrgedV1:
        if self.mode == UrgeMode.AUTOMATIC and self.warning_level is None:
            raise ValueError("an automatic urge names the warning level that triggered it")
        return self


class SupervisionRaisedV1(EventData):
    """督办: a higher-level unit formally supervises an order of a unit below it."""

    event_name: ClassVar[str] = "supervision.raised"
    event_version: ClassVar[int] = 1

    ticket_id: TicketId
    raised_at_unit: UnitCode = Field(
        examples=["3701"], description="发起督办的上级单位; the supervising (parent) unit"
    )
    target_unit: UnitCode = Field(examples=["370102"], description="被督办单位; the supervised unit")
    reason: ShortText = Field(examples=["投诉工单超时未回复"])
    due_at: AwareDatetime | None = Field(default=None, description="督办要求完成时间; deadline set")
    by: ActorId
    at: AwareDatetime

    @model_validator(mode="after")
    def _raised_above(self) -> SupervisionRaisedV1:
        inside = is_within(self.target_unit, self.raised_at_unit)
        if not inside or self.target_unit == self.raised_at_unit:
            raise ValueError("supervision is raised by an ancestor of the target unit")
        return self
