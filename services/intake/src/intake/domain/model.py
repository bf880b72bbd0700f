"""Contacts, customers, outages and work orders as intake sees them (受理领域模型)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Customer:
    """客户档案: one account of the per-tenant customer registry."""

    tenant: str
    account_no: str
    name: str
    phone: str | None
    address: str
    station_code: str | None
    feeder_code: str | None
    ta_code: str | None
    area_class: str = "urban"
    important: bool = False
    dedicated_transformer: bool = False
    arrears_status: str = "none"

    @property
    def disconnected_for_arrears(self) -> bool:
        return self.arrears_status == "disconnected"


@dataclass(frozen=True)
class ActiveOutage:
    """在途停电: an outage published or started and not yet restored or cancelled."""

    tenant: str
    outage_id: str
    cause: str
    planned_start: datetime
    planned_end: datetime | None
    station_codes: tuple[str, ...] = ()
    feeder_codes: tuple[str, ...] = ()
    ta_codes: tuple[str, ...] = ()
    area: str | None = None
    started: bool = False

    def in_effect(self, now: datetime) -> bool:
        """Started, or its announced window has begun (calls before the cut are not about it)."""
        return self.started or self.planned_start <= now


@dataclass(frozen=True)
class Contact:
    """来电/来信: one contact from any channel, normalised into one command."""

    channel: str
    business_type: str
    summary: str
    owner: str  # 首问负责人 actor id, e.g. agent:zhangsan or system:ivr
    sub_type: str | None = None
    account_no: str | None = None
    contact_phone: str | None = None
    address_text: str | None = None
    unit: str | None = None
    urgency: str = "normal"
    referred_from: str | None = None  # 转办来源 (12398 / 12345 / other); None: the customer came to 95598 directly
    kb_article_id: str | None = None
    resolved_at_first_contact: bool = False
    attachment_ref: str | None = None
    idempotency_key: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        if name == "location":
            return bool(self.account_no or self.address_text)
        return bool(getattr(self, name, None) or self.extra.get(name))


@dataclass
class Ticket:
    """工单: the work order intake creates; the first-contact owner never changes."""

    tenant: str
    ticket_id: str
    business_type: str
    sub_type: str | None
    channel: str
    summary: str
    first_contact_owner: str
    accepted_at: datetime
    account_no: str | None = None
    contact_phone: str | None = None
    address_text: str | None = None
    customer_name: str | None = None
    area_class: str | None = None
    important: bool = False
    station_code: str | None = None
    feeder_code: str | None = None
    ta_code: str | None = None
    outage_id: str | None = None
    outage_match: str | None = None
    outage_cause: str | None = None
    outage_restore_at: datetime | None = None
    urgency: str = "normal"
    referred_from: str | None = None  # 转办来源: sets the complaint reply limit in dispatch
    state: str = "accepted"
    kb_article_id: str | None = None
    attachment_ref: str | None = None
    rerouted_from: str | None = None
    contact_count: int = 1
    idempotency_key: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def open(self) -> bool:
        return self.state not in ("closed", "archived")

    def repeat_key(self) -> str | None:
        """One open order per customer and business type (重复来电判定的键)."""
        return f"{self.account_no}|{self.business_type}" if self.account_no and self.open else None


@dataclass(frozen=True)
class OutageAnswer:
    """已知停电答复: what the agent reads to the caller (是否已知、原因、预计恢复时间)."""

    outage_id: str
    match_level: str
    cause: str
    estimated_restore_at: datetime | None
    area: str | None


@dataclass(frozen=True)
class IntakeResult:
    """What a contact became: a new order, or a repeat contact on an open one."""

    ticket: Ticket
    created: bool
    repeat: bool = False
    outage: OutageAnswer | None = None
    reconnection: bool = False
    replayed: bool = False
