"""HTTP request and response bodies of the intake API (pydantic lives at the edge)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hotline_contracts.events.common import BusinessType, Channel, ReferralSource, Urgency
from hotline_contracts.tenancy import TENANT_CODE_PATTERN

PHONE = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$"
ACCOUNT = r"^\d{10}$"
SUB_TYPE = r"^[a-z][a-z0-9_]*$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TicketIn(_Body):
    """坐席/CTI 受理: one contact entered by an agent (or a CTI system) on any channel."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{
            "channel": "hotline", "business_type": "fault_repair", "sub_type": "no_power_single_household",
            "account_no": "3701020458", "summary": "客户反映家中突然停电，邻居家也没电",
        }]},
    )

    channel: Channel = Field(default=Channel.HOTLINE, description="受理渠道; channel")
    referred_from: ReferralSource | None = Field(
        default=None, description="转办来源：12398 / 12345 / other，直接来电为空; outside hotline that referred it, empty when direct")
    business_type: BusinessType = Field(description="业务类型; business type")
    sub_type: str | None = Field(default=None, pattern=SUB_TYPE, max_length=64, description="业务子类; sub-type")
    account_no: str | None = Field(default=None, pattern=ACCOUNT, description="户号（10位数字）; account number")
    contact_phone: str | None = Field(default=None, pattern=PHONE, description="联系电话; contact phone")
    address_text: str | None = Field(default=None, min_length=2, max_length=200, description="地址; address")
    unit: str | None = Field(default=None, pattern=TENANT_CODE_PATTERN, description="责任单位（未提供户号时）; responsible unit")
    summary: str = Field(min_length=1, max_length=2000, description="诉求内容; what the customer said")
    urgency: Urgency = Urgency.NORMAL
    kb_article_id: str | None = Field(default=None, max_length=64, description="答复所用知识条目; answering article")
    resolved_at_first_contact: bool = Field(default=False, description="咨询一次解决并办结; consultation closed at first contact")
    attachment_ref: str | None = Field(default=None, max_length=200, description="附件编号（传真/信函）; attachment reference")


class OutageInfo(BaseModel):
    """已知停电答复: 是否已知、原因、预计恢复时间."""

    known: bool = True
    outage_id: str
    match_level: str
    cause: str
    estimated_restore_at: datetime | None
    area: str | None


class TicketOut(BaseModel):
    """受理结果 / the order, as the agent sees it right after the call."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "ticket_id": "370102-20261126-000123", "tenant": "370102", "business_type": "fault_repair", "state": "accepted",
        "created": True, "repeat": False, "dispatch_requested": False,
        "outage": {"known": True, "outage_id": "TD-370102-20261128-0007", "match_level": "transformer_area",
                   "cause": "10kV泉城路112线路检修", "estimated_restore_at": "2026-11-28T17:00:00+08:00", "area": None},
        "message_zh": "已知停电：10kV泉城路112线路检修，预计恢复时间 2026-11-28 17:00", "message_en": "known outage",
    }]})

    ticket_id: str
    tenant: str
    business_type: str
    sub_type: str | None = None
    channel: str
    referred_from: str | None = Field(default=None, description="转办来源; outside hotline that referred it")
    state: str
    first_contact_owner: str
    accepted_at: datetime
    account_no: str | None = None
    customer_name: str | None = None
    contact_phone: str | None = None
    address_text: str | None = None
    created: bool
    repeat: bool = False
    replayed: bool = False
    contact_count: int = 1
    reconnection: bool = Field(default=False, description="欠费停电走复电申请; arrears reconnection path")
    dispatch_requested: bool = Field(description="是否需要派工; whether a crew job is requested")
    outage: OutageInfo | None = None
    kb_article_id: str | None = None
    message_zh: str = ""
    message_en: str = ""


class TicketListItem(BaseModel):
    """工单列表项（脱敏）; list row, phone and address masked."""

    ticket_id: str
    tenant: str
    business_type: str
    sub_type: str | None
    channel: str
    state: str
    accepted_at: datetime
    account_no: str | None
    contact_phone: str | None
    address_text: str | None
    outage_id: str | None
    contact_count: int


class IvrCallIn(_Body):
    """IVR/CTI 回调: caller number and menu choices from the voice system."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "call_id": "CTI-20261126-000001", "caller_number": "13805310001", "ivr_choices": ["1"], "account_no": "3701020458"}]})

    call_id: str = Field(min_length=1, max_length=64, description="呼叫编号（幂等键）; call id, used as idempotency key")
    caller_number: str = Field(pattern=PHONE)
    ivr_choices: list[str] = Field(min_length=1, max_length=8, description="按键序列; menu choices")
    account_no: str | None = Field(default=None, pattern=ACCOUNT)
    transcript: str | None = Field(default=None, max_length=2000, description="语音转写; speech transcript")


class OnlineIn(_Body):
    """网站/App/微信 提交: a submission from the web portal, the app or WeChat."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "source": "wechat", "submission_id": "WX-0001", "business_type": "consultation", "account_no": "3701020458",
        "phone": "13805310001", "description": "咨询阶梯电价如何计算"}]})

    source: Literal["web", "app", "wechat"]
    submission_id: str = Field(min_length=1, max_length=64)
    business_type: BusinessType
    sub_type: str | None = Field(default=None, pattern=SUB_TYPE, max_length=64)
    account_no: str | None = Field(default=None, pattern=ACCOUNT)
    phone: str | None = Field(default=None, pattern=PHONE)
    address: str | None = Field(default=None, min_length=2, max_length=200)
    description: str = Field(min_length=1, max_length=2000)


class SmsIn(_Body):
    """短信网关上行: an inbound SMS."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "message_id": "SMS-0001", "from_number": "13805310001", "text": "我家停电了，户号3701020458"}]})

    message_id: str = Field(min_length=1, max_length=64)
    from_number: str = Field(pattern=PHONE)
    text: str = Field(min_length=1, max_length=500)


class EmailIn(_Body):
    """电子邮件: an e-mail received by the centre's mailbox."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "message_id": "<a1@mail>", "from_address": "wang@example.com", "subject": "投诉抄表员态度", "body": "……", "phone": "13805310001"}]})

    message_id: str = Field(min_length=1, max_length=200)
    from_address: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=200)
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=5000)
    phone: str | None = Field(default=None, pattern=PHONE)
    account_no: str | None = Field(default=None, pattern=ACCOUNT)


class MailIn(_Body):
    """传真/信函: a fax or letter, scanned, with the attachment reference and the typed-in content."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "kind": "letter", "attachment_ref": "SCAN-2026-11-0042", "business_type": "suggestion", "summary": "建议增设缴费网点",
        "address": "济南市历下区泉城路188号"}]})

    kind: Literal["fax", "letter"]
    attachment_ref: str = Field(min_length=1, max_length=200)
    referred_from: ReferralSource | None = Field(default=None, description="转办来源（12398/12345 转办函）; referring hotline")
    business_type: BusinessType
    sub_type: str | None = Field(default=None, pattern=SUB_TYPE, max_length=64)
    summary: str = Field(min_length=1, max_length=2000)
    account_no: str | None = Field(default=None, pattern=ACCOUNT)
    phone: str | None = Field(default=None, pattern=PHONE)
    address: str | None = Field(default=None, min_length=2, max_length=200)
    unit: str | None = Field(default=None, pattern=TENANT_CODE_PATTERN)
