"""Return-visit (回访) events: a closed order is followed up and the customer's satisfaction kept."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from hotline_contracts.envelope import EventData
from hotline_contracts.events.common import (
    AccountNo,
    ActorId,
    BusinessType,
    ReturnVisitResult,
    ShortText,
    TicketId,
    UnitCode,
)


class VisitMethod(StrEnum):
    """回访方式."""

    PHONE = "phone"
    SMS = "sms"
    WECHAT = "wechat"


class ReturnVisitScheduledV1(EventData):
    """回访已安排: a return visit is due for an order that was handled."""

    event_name: ClassVar[str] = "return_visit.scheduled"
    event_version: ClassVar[int] = 1

    visit_id: str = Field(min_length=1, max_length=64, examples=["RV-370102-20261126-000123"])
    ticket_id: TicketId
    business_type: BusinessType
    responsible_unit: UnitCode
    account_no: AccountNo | None = None
    method: VisitMethod = VisitMethod.PHONE
    due_at: AwareDatetime = Field(description="回访时限; visit must be done by then")
    at: AwareDatetime


class ReturnVisitCompletedV1(EventData):
    """回访完成: the customer answered (or could not be reached); unsatisfied reopens the order."""

    event_name: ClassVar[str] = "return_visit.completed"
    event_version: ClassVar[int] = 1

    visit_id: str = Field(min_length=1, max_length=64)
    ticket_id: TicketId
    business_type: BusinessType
    responsible_unit: UnitCode
    result: ReturnVisitResult
    method: VisitMethod
    attempts: int = Field(default=1, ge=1, description="联系次数; contact attempts made")
    comment: ShortText | None = Field(default=None, examples=["客户表示抢修人员态度好，来得快"])
    by: ActorId
    at: AwareDatetime
    reopen_requested: bool = Field(
        default=False,
        description="不满意需重启工单; the customer was unsatisfied and the order should be reopened",
    )


class SkipReason(StrEnum):
    """不回访原因."""

    NOT_SAMPLED = "not_sampled"  # 未抽中
    TYPE_NOT_VISITED = "type_not_visited"  # 该业务类型不回访


class ReturnVisitSkippedV1(EventData):
    """不回访: survey will not visit this answered order (type needs none, or not sampled); it may close now."""

    event_name: ClassVar[str] = "return_visit.skipped"
    event_version: ClassVar[int] = 1

    ticket_id: TicketId
    business_type: BusinessType
    responsible_unit: UnitCode
    reason: SkipReason
    at: AwareDatetime
