"""Dispatch (派单/派工), field-crew (抢修班组) and reply (回单) events.

Crew events come from field-crew apps and the OMS. They carry no idempotency key of their own:
the envelope `id` is the key, so a producer retrying a send must reuse the same envelope id.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from hotline_contracts.envelope import EventData
from hotline_contracts.events.common import (
    ActorId,
    BusinessType,
    GridCode,
    LongText,
    ShortText,
    TicketId,
    UnitCode,
)


class TicketDispatchedV1(EventData):
    """派单: the order was sent to the responsible unit by a routing rule or a dispatcher."""

    event_name: ClassVar[str] = "ticket.dispatched"
    event_version: ClassVar[int] = 1

    ticket_id: TicketId
    to_unit: UnitCode
    to_station_code: GridCode | None = Field(
        default=None, examples=["GDS-370102-03"], description="接单供电所; receiving supply station"
    )
    routing_rule_id: str | None = Field(
        default=None,
        max_length=64,
        examples=["route-370102-repair-v3"],
        description="命中的派单规则（人工派单为空）; routing rule that matched, empty when manual",
    )
    by: ActorId = Field(examples=["system:dispatch"])
    at: AwareDatetime


class _CrewEvent(EventData):
    """抢修班组事件基类: fields every crew event carries (not registered itself)."""

    ticket_id: TicketId
    crew_code: str = Field(
        min_length=1, max_length=32, examples=["QX-370102-02"], description="抢修班组编码; crew code"
    )
    handler: ActorId = Field(examples=["crew:liqiang"], description="处理人; person who acted")
    at: AwareDatetime


class CrewAssignedV1(_CrewEvent):
    """派工: the unit leader assigned a repair crew to the order."""

    event_name: ClassVar[str] = "crew.assigned"
    event_version: ClassVar[int] = 1

    assigned_by: ActorId = Field(examples=["staff:zhaomin"], description="派工人（班长）; who assigned")
    station_code: GridCode | None = None


class CrewAcceptedV1(_CrewEvent):
    """班组接单: the crew confirmed it has taken the order."""

    event_name: ClassVar[str] = "crew.accepted"
    event_version: ClassVar[int] = 1

    eta_minutes: int | None = Field(
        default=None, ge=0, le=24 * 60, description="预计到达（分钟）; expected minutes to arrive"
    )


class CrewDepartedV1(_CrewEvent):
    """班组出发: the crew left for the site."""

    event_name: ClassVar[str] = "crew.departed"
    event_version: ClassVar[int] = 1


class CrewArrivedV1(_CrewEvent):
    """到达现场: the crew is on site; stops the on-site clock."""

    event_name: ClassVar[str] = "crew.arrived"
    event_version: ClassVar[int] = 1

    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class FaultClassification(BaseModel):
    """故障五级分类: five-level fault classification, broad to narrow."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level1: ShortText = Field(examples=["低压故障"])
    level2: ShortText | None = Field(default=None, examples=["低压线路故障"])
    level3: ShortText | None = Field(default=None, examples=["接户线故障"])
    level4: ShortText | None = Field(default=None, examples=["接户线断线"])
    level5: ShortText | None = Field(default=None, examples=["外力破坏"])

    @model_validator(mode="after")
    def _no_gaps(self) -> FaultClassification:
        levels = [self.level2, self.level3, self.level4, self.level5]
        seen_gap = False
        for level in levels:
            if level is None:
                seen_gap = True
            elif seen_gap:
                raise ValueError("fault levels must be filled from level1 down without gaps")
        return self


class RepairCompletedV1(_CrewEvent):
    """抢修完成: the crew finished on site; the reply records departure, arrival, cause, restore."""

    event_name: ClassVar[str] = "repair.completed"
    event_version: ClassVar[int] = 1

    cause: ShortText = Field(examples=["接户线被树枝压断"])
    fault_class: FaultClassification
    customer_side_fault: bool = Field(
        default=False, description="客户内部故障（产权分界点以内）; fault inside the customer's property"
    )
    departed_at: AwareDatetime
    arrived_at: AwareDatetime
    restored_at: AwareDatetime | None = Field(
        default=None, description="复电时间（客户内部故障可为空）; empty for customer-side faults"
    )

    @model_validator(mode="after")
    def _times_in_order(self) -> RepairCompletedV1:
        if self.arrived_at < self.departed_at:
            raise ValueError("arrived_at is before departed_at")
        if self.restored_at is not None and self.restored_at < self.arrived_at:
            raise ValueError("restored_at is before arrived_at")
        if self.restored_at is None and not self.customer_side_fault:
            raise ValueError("restored_at is required unless the fault is on the customer's side")
        return self


class ReplyOutcome(StrEnum):
    """处理结果."""

    RESOLVED = "resolved"
    EXPLAINED = "explained"  # 已解释说明
    UNRESOLVED = "unresolved"


class ReplySubmittedV1(EventData):
    """回单: the responsible unit submitted its structured reply for 95598 to audit."""

    event_name: ClassVar[str] = "reply.submitted"
    event_version: ClassVar[int] = 1

    ticket_id: TicketId
    reply_id: str = Field(min_length=1, max_length=64, examples=["R-370102-20261126-000123-1"])
    unit: UnitCode
    outcome: ReplyOutcome
    content: LongText = Field(examples=["已于10:42恢复供电，原因为接户线被树枝压断，已清理树障。"])
    customer_contacted_at: AwareDatetime | None = Field(
        default=None, description="首次联系客户时间（投诉24小时内）; first contact with the customer"
    )
    by: ActorId
    at: AwareDatetime


class ReplyAuditedV1(EventData):
    """回单审核: 95598 checked the reply; a failed audit sends it back with reasons."""

    event_name: ClassVar[str] = "reply.audited"
    event_version: ClassVar[int] = 1

    ticket_id: TicketId
    reply_id: str = Field(min_length=1, max_length=64)
    passed: bool
    reasons: list[ShortText] = Field(
        default_factory=list, examples=[["未填写故障五级分类"]], description="不通过原因; why it failed"
    )
    auditor: ActorId
    at: AwareDatetime
    business_type: BusinessType | None = Field(
        default=None, description="业务类型（回访按类型安排）; the order's type, which decides its return visit"
    )
    responsible_unit: UnitCode | None = Field(default=None, description="回单单位; the unit that answered")

    @model_validator(mode="after")
    def _failure_has_reasons(self) -> ReplyAuditedV1:
        if not self.passed and not self.reasons:
            raise ValueError("a failed audit must give at least one reason")
        return self


class ContactChannel(StrEnum):
    """联系方式."""

    PHONE = "phone"
    VISIT = "visit"
    SMS = "sms"
    OTHER = "other"


class CustomerContactedV1(EventData):
    """首次联系客户: the unit or crew reached the customer; stops the first-contact clock (投诉24小时).

    Sent by unit and crew apps. The envelope `id` is the idempotency key.
    """

    event_name: ClassVar[str] = "ticket.customer_contacted"
    event_version: ClassVar[int] = 1

    ticket_id: TicketId
    by: ActorId = Field(examples=["staff:zhaomin"], description="联系人; who contacted the customer")
    channel: ContactChannel = ContactChannel.PHONE
    note: ShortText | None = Field(default=None, examples=["已电话联系客户，约定次日上门"])
    at: AwareDatetime = Field(description="联系客户的时间; when the customer was reached")
