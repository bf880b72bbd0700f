"""Ticket (工单) lifecycle events: intake, repeat contacts, outage links, transitions, closure."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field, model_validator

from hotline_contracts.envelope import EventData
from hotline_contracts.events.common import (
    AccountNo,
    ActorId,
    AreaClass,
    BusinessType,
    Channel,
    GridCode,
    LongText,
    OutageId,
    ReferralSource,
    ShortText,
    TicketId,
    TicketState,
    UnitCode,
    Urgency,
)


class TicketCreatedV1(EventData):
    """工单已受理: a work order was created at intake."""

    event_name: ClassVar[str] = "ticket.created"
    event_version: ClassVar[int] = 1

    ticket_id: TicketId
    business_type: BusinessType = Field(examples=["fault_repair"])
    sub_type: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_]*$",
        max_length=64,
        examples=["no_power_single_household"],
        description="业务子类（投诉见 ComplaintSubType）; sub-type, complaints use ComplaintSubType",
    )
    channel: Channel = Field(examples=["hotline"])
    referred_from: ReferralSource | None = Field(
        default=None,
        examples=["12398"],
        description="转办来源（12398 / 12345 / 其他外部渠道），直接受理为空; outside hotline the order was referred from, "
        "None when the customer contacted 95598 directly (sets the complaint reply limit)",
    )
    account_no: AccountNo | None = None
    area_class: AreaClass | None = Field(
        default=None, description="客户区域类别; customer's area class, sets the repair clock"
    )
    important: bool = Field(default=False, description="重要用户; stricter time limits")
    responsible_unit: UnitCode
    station_code: GridCode | None = None
    ta_code: GridCode | None = None
    feeder_code: GridCode | None = None
    first_contact_owner: ActorId = Field(description="首问负责人; owns the request across transfers")
    accepted_at: AwareDatetime
    summary: LongText = Field(examples=["客户反映家中突然停电，邻居家也没电"])
    outage_id: OutageId | None = Field(
        default=None, description="已关联的停电信息; set when the call matched an active outage"
    )
    urgency: Urgency = Urgency.NORMAL
    kb_article_id: str | None = Field(
        default=None, max_length=64, examples=["KB-0012"], description="答复所用知识条目; knowledge article that answered it"
    )
    first_contact_resolved: bool = Field(
        default=False,
        description="首问办结：受理时已一次办结（同一工单另有 ticket.closed.v1），不派单; closed at first contact, "
        "never dispatched (its ticket.closed.v1 follows)",
    )


class TicketRepeatContactV1(EventData):
    """重复来电: the customer contacted again about an order that is still open."""

    event_name: ClassVar[str] = "ticket.repeat_contact_attached"
    event_version: ClassVar[int] = 1

    ticket_id: TicketId
    contact_id: str = Field(min_length=1, max_length=64, examples=["C-20261126-0831"])
    channel: Channel
    account_no: AccountNo | None = None
    contact_count: int = Field(
        ge=2, examples=[2], description="本单第几次来电（首次为1）; n-th contact on this order"
    )
    agent: ActorId
    at: AwareDatetime
    summary: LongText | None = None


class OutageMatchLevel(StrEnum):
    """匹配层级: how precisely a call's address matched the outage's scope."""

    TRANSFORMER_AREA = "transformer_area"
    FEEDER = "feeder"
    STATION = "station"
    AREA_TEXT = "area_text"
    MANUAL = "manual"


class TicketLinkedToOutageV1(EventData):
    """工单关联停电: a repair call was linked to a known outage instead of dispatching a crew."""

    event_name: ClassVar[str] = "ticket.linked_to_outage"
    event_version: ClassVar[int] = 1

    ticket_id: TicketId
    outage_id: OutageId
    match_level: OutageMatchLevel
    linked_by: ActorId = Field(examples=["system:intake"])
    at: AwareDatetime
    estimated_restore_at: AwareDatetime | None = Field(
        default=None, description="告知客户的预计复电时间; restoration time told to the caller"
    )
    cause: ShortText | None = Field(default=None, description="告知客户的停电原因; outage cause told to the caller")
    # Optional since 2026-11: lets the outage's notifier tell this caller of the restoration once.
    account_no: AccountNo | None = Field(
        default=None, description="来电客户户号（复电时通知）; the caller's account, told of the restoration"
    )


class TicketStateChangedV1(EventData):
    """工单状态变更: any transition of a work order's state."""

    event_name: ClassVar[str] = "ticket.state_changed"
    event_version: ClassVar[int] = 1

    ticket_id: TicketId
    from_state: TicketState
    to_state: TicketState
    actor: ActorId
    reason: ShortText | None = None
    at: AwareDatetime

    @model_validator(mode="after")
    def _moves(self) -> TicketStateChangedV1:
        if self.from_state == self.to_state:
            raise ValueError("from_state and to_state are the same: not a transition")
        return self


class TicketTransferredV1(EventData):
    """工单转派: the order moved to another unit; the first-contact owner stays the same."""

    event_name: ClassVar[str] = "ticket.transferred"
    event_version: ClassVar[int] = 1

    ticket_id: TicketId
    from_unit: UnitCode
    to_unit: UnitCode
    by: ActorId
    reason: ShortText
    first_contact_owner: ActorId = Field(description="首问负责人（转派不变）; unchanged by transfer")
    at: AwareDatetime

    @model_validator(mode="after")
    def _different_units(self) -> TicketTransferredV1:
        if self.from_unit == self.to_unit:
            raise ValueError("a transfer goes to a different unit")
        return self


class ReturnReason(StrEnum):
    """退单原因."""

    WRONG_UNIT = "wrong_unit"  # 非本单位辖区
    INCOMPLETE_INFO = "incomplete_info"  # 信息不全
    DUPLICATE = "duplicate"  # 重复工单
    NOT_POWER_BUSINESS = "not_power_business"  # 非供电业务
    OTHER = "other"


class TicketReturnedV1(EventData):
    """退单: a unit sent the order back to the dispatcher (wrong unit, incomplete, ...)."""

    event_name: ClassVar[str] = "ticket.returned"
    event_version: ClassVar[int] = 1

    ticket_id: TicketId
    returned_by_unit: UnitCode
    reason_code: ReturnReason
    reason: ShortText
    by: ActorId
    at: AwareDatetime


class Resolution(StrEnum):
    """办结方式."""

    RESOLVED = "resolved"  # 已解决
    OUTAGE_RESTORED = "outage_restored"  # 随停电复电解决
    WITHDRAWN = "withdrawn"  # 客户撤销
    DUPLICATE = "duplicate"  # 重复工单合并
    UNRESOLVED = "unresolved"  # 未解决（已解释）


class TicketClosedV1(EventData):
    """工单办结: the order is closed (reply audited, return visit done or not required)."""

    event_name: ClassVar[str] = "ticket.closed"
    event_version: ClassVar[int] = 1

    ticket_id: TicketId
    business_type: BusinessType
    responsible_unit: UnitCode
    resolution: Resolution
    within_time_limit: bool = Field(description="是否在时限内办结; counted in the timeliness rate")
    first_contact_resolved: bool = Field(
        default=False, description="一次解决; resolved at the first contact"
    )
    closed_by: ActorId
    at: AwareDatetime


class ReopenCause(StrEnum):
    """重启原因."""

    UNSATISFIED_RETURN_VISIT = "unsatisfied_return_visit"
    CUSTOMER_CALLED_BACK = "customer_called_back"
    SUPERVISION = "supervision"
    AUDIT_FOUND_ERROR = "audit_found_error"


class TicketReopenedV1(EventData):
    """工单重启: a closed order is open again (unsatisfied return visit, call back, ...)."""

    event_name: ClassVar[str] = "ticket.reopened"
    event_version: ClassVar[int] = 1

    ticket_id: TicketId
    cause: ReopenCause
    reason: ShortText
    visit_id: str | None = Field(default=None, max_length=64, description="触发重启的回访; the visit")
    by: ActorId
    at: AwareDatetime
