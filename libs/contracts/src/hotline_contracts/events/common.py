"""Enums and field types shared by the event payloads; services import them from here."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field

from hotline_contracts.tenancy import TENANT_CODE_PATTERN


class BusinessType(StrEnum):
    """业务类型: the eight national 95598 business types."""

    FAULT_REPAIR = "fault_repair"  # 故障报修
    CONSULTATION = "consultation"  # 业务咨询
    SERVICE_REQUEST = "service_request"  # 服务申请
    COMPLAINT = "complaint"  # 投诉
    REPORT = "report"  # 举报
    OPINION = "opinion"  # 意见
    SUGGESTION = "suggestion"  # 建议
    PRAISE = "praise"  # 表扬


class ComplaintSubType(StrEnum):
    """投诉子类: the values `sub_type` takes on a complaint."""

    SERVICE_CONDUCT = "service_conduct"  # 服务投诉
    BUSINESS = "business"  # 营业投诉
    OUTAGE = "outage"  # 停送电投诉
    SUPPLY_QUALITY = "supply_quality"  # 供电质量投诉
    GRID_CONSTRUCTION = "grid_construction"  # 电网建设投诉


class ReferralSource(StrEnum):
    """转办来源: the outside hotline a complaint was referred from (its reply limit depends on it)."""

    ENERGY_REGULATION_12398 = "12398"  # 12398 能源监管热线
    GOVERNMENT_SERVICE_12345 = "12345"  # 12345 政务服务便民热线
    OTHER = "other"  # 其他外部渠道


class Channel(StrEnum):
    """受理渠道: where a contact came in."""

    HOTLINE = "hotline"
    IVR = "ivr"
    WEB = "web"
    APP = "app"
    WECHAT = "wechat"
    SMS = "sms"
    EMAIL = "email"
    FAX = "fax"
    LETTER = "letter"


class NotifyChannel(StrEnum):
    """通知渠道: how the platform reaches a customer (outbound)."""

    SMS = "sms"
    WECHAT = "wechat"
    APP = "app"
    EMAIL = "email"
    VOICE = "voice"  # 外呼语音


class AreaClass(StrEnum):
    """区域类别: sets the on-site clock (urban 45 min, rural 90 min, remote 2 h by default)."""

    URBAN = "urban"
    RURAL = "rural"
    REMOTE = "remote"


class ArrearsStatus(StrEnum):
    """欠费状态."""

    NONE = "none"
    OVERDUE = "overdue"
    DISCONNECTED = "disconnected"


class Urgency(StrEnum):
    """紧急程度: 一般 / 紧急 / 特急."""

    NORMAL = "normal"
    URGENT = "urgent"
    CRITICAL = "critical"


class TicketState(StrEnum):
    """工单状态: the states a work order moves through."""

    ACCEPTED = "accepted"  # 已受理
    DISPATCHED = "dispatched"  # 已派单
    ASSIGNED = "assigned"  # 已派工
    IN_PROGRESS = "in_progress"  # 处理中 / 抢修中
    SUSPENDED = "suspended"  # 挂起 (waiting for the customer or an appointment; clock paused)
    REPLIED = "replied"  # 已回单
    AUDITED = "audited"  # 回单审核通过
    RETURNED = "returned"  # 已退单
    RETURN_VISIT = "return_visit"  # 待回访
    CLOSED = "closed"  # 已办结
    ARCHIVED = "archived"  # 已归档


class OutageType(StrEnum):
    """停电类型."""

    PLANNED = "planned"  # 计划停电
    TEMPORARY = "temporary"  # 临时停电
    GRID_FAULT = "grid_fault"  # 故障停电
    OVER_CAPACITY = "over_capacity"  # 超电网供电能力限电
    ORDERLY_USE = "orderly_use"  # 有序用电
    ARREARS = "arrears"  # 欠费停电
    THEFT = "theft"  # 窃电停电
    CONTRACT_VIOLATION = "contract_violation"  # 违约停电


class UrgeMode(StrEnum):
    """催办方式."""

    MANUAL = "manual"
    AUTOMATIC = "automatic"


class NotificationResult(StrEnum):
    """通知结果: suppressed = deliberately not sent (opted out, quiet hours, duplicate)."""

    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


class ReturnVisitResult(StrEnum):
    """回访结果: 满意 / 基本满意 / 不满意 / 联系不上."""

    SATISFIED = "satisfied"
    FAIRLY_SATISFIED = "fairly_satisfied"
    UNSATISFIED = "unsatisfied"
    UNREACHABLE = "unreachable"


class ReportPeriod(StrEnum):
    """报表周期: 日报 / 周报 / 月报."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


_RAW_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def refuse_raw_mobile(value: str) -> str:
    """Refuse text carrying an unmasked mainland mobile number (隐私保护)."""
    if _RAW_MOBILE.search(value):
        raise ValueError("text contains an unmasked mobile number; mask it (138****5678)")
    return value


def _require_mask(value: str) -> str:
    if "*" not in value:
        raise ValueError(f"recipient {value!r} is not masked (expected e.g. 138****5678)")
    return value


UnitCode = Annotated[
    str,
    Field(
        pattern=TENANT_CODE_PATTERN,
        examples=["370102"],
        description="单位代码（行政区划代码）; org-unit code = administrative division code",
    ),
]
AccountNo = Annotated[
    str,
    Field(
        pattern=r"^\d{10}$",
        examples=["3701020458"],
        description="户号; electricity account number",
    ),
]
TicketId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        examples=["370102-20261126-000123"],
        description="工单编号; work-order id",
    ),
]
OutageId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        examples=["TD-370102-20261128-0007"],
        description="停电信息编号; outage-information id",
    ),
]
GridCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=32,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="电网对象编码（供电所/线路/台区）; grid object code (station, feeder, transformer area)",
    ),
]
ActorId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        examples=["agent:zhangsan"],
        description="操作人 `kind:id` (agent:, crew:, system:); who did it",
    ),
]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str, Field(min_length=1, max_length=2000)]
MaskedRecipient = Annotated[
    str,
    Field(
        min_length=3,
        max_length=128,
        pattern=r"^(\d{0,6}\D)*\d{0,6}$",
        examples=["138****5678"],
        description="脱敏后的接收方（不得含完整号码）; masked recipient, never a raw number",
    ),
    AfterValidator(_require_mask),
]
