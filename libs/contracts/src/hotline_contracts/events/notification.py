"""Customer notification (通知) events. These never carry a raw phone number.

A request names the customer by account number; the notifier looks the contact up itself.
The result reports the recipient masked (138****5678).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import AfterValidator, AwareDatetime, Field, model_validator

from hotline_contracts.envelope import EventData
from hotline_contracts.events.common import (
    AccountNo,
    MaskedRecipient,
    NotificationResult,
    NotifyChannel,
    OutageId,
    ShortText,
    TicketId,
    refuse_raw_mobile,
)


class NoticePurpose(StrEnum):
    """通知用途."""

    OUTAGE_NOTICE = "outage_notice"  # 停电通知
    OUTAGE_RENOTICE = "outage_renotice"  # 停电前再次提醒
    OUTAGE_CHANGED = "outage_changed"  # 停电变更
    OUTAGE_CANCELLED = "outage_cancelled"  # 停电取消
    RESTORATION = "restoration"  # 复电通知
    ARREARS_NOTICE = "arrears_notice"  # 欠费停电预告
    TICKET_PROGRESS = "ticket_progress"  # 工单进度
    RETURN_VISIT = "return_visit"  # 短信回访


ParamText = Annotated[str, Field(max_length=500), AfterValidator(refuse_raw_mobile)]
SafeText = Annotated[ShortText, AfterValidator(refuse_raw_mobile)]


class NotificationRequestedV1(EventData):
    """通知请求: a service asks for a customer to be told something from a template."""

    event_name: ClassVar[str] = "notification.requested"
    event_version: ClassVar[int] = 1

    notification_id: str = Field(min_length=1, max_length=64, examples=["N-370102-20261121-000045"])
    purpose: NoticePurpose
    account_no: AccountNo = Field(description="接收客户户号（联系方式由通知服务查询）; recipient account")
    channels: list[NotifyChannel] = Field(
        default_factory=list,
        description="按顺序尝试的渠道，空=客户首选; channels to try in order, empty = preferred",
    )
    template_code: str = Field(
        min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$", examples=["outage_planned_v1"]
    )
    params: dict[str, ParamText] = Field(
        default_factory=dict,
        examples=[{"start": "11月28日08:00", "end": "11月28日17:00"}],
        description="模板参数（不得含手机号）; template parameters, no phone numbers",
    )
    outage_id: OutageId | None = None
    ticket_id: TicketId | None = None
    not_before: AwareDatetime | None = Field(default=None, description="最早发送时间; send no earlier")
    requested_by: ShortText = Field(examples=["outage-notice"])
    at: AwareDatetime


class NotificationSentV1(EventData):
    """通知结果: one delivery attempt's outcome, recipient masked."""

    event_name: ClassVar[str] = "notification.sent"
    event_version: ClassVar[int] = 1

    notification_id: str = Field(min_length=1, max_length=64)
    account_no: AccountNo
    channel: NotifyChannel
    result: NotificationResult
    recipient_masked: MaskedRecipient
    detail: SafeText | None = Field(
        default=None,
        examples=["用户已退订短信"],
        description="失败或抑制原因（失败/抑制时必填）; why it failed or was suppressed",
    )
    provider_message_id: str | None = Field(default=None, max_length=128)
    at: AwareDatetime
    # Optional since 2026-11: what the message was about, so each customer is seen told once per outage and purpose.
    purpose: NoticePurpose | None = Field(default=None, description="通知用途; what the customer was told")
    outage_id: OutageId | None = Field(default=None, description="所涉停电信息; the outage it was about")

    @model_validator(mode="after")
    def _not_sent_has_detail(self) -> NotificationSentV1:
        if self.result != NotificationResult.SENT and not self.detail:
            raise ValueError("a failed or suppressed notification says why in detail")
        return self
