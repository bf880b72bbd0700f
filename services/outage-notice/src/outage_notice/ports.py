"""What the use cases read from the outside world: outages, customers, rules, the notice ledger, gateway, clock.

Writes go through the unit of work (`outage_notice.uow`), which stores each change with its events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from outage_notice.domain.lookup import Place
from outage_notice.domain.notices import Notice, Recipient
from outage_notice.domain.outage import Outage, Revision, Scope


class OutageReader(Protocol):
    """Reads of stored outages (their pending events, `outbox*`, are never part of an Outage)."""

    async def get(self, tenant: str, outage_id: str) -> Outage | None: ...
    async def current(self, tenant: str) -> list[Outage]: ...
    async def listing(self, tenant: str, *, state: str | None, limit: int) -> list[Outage]: ...
    async def revisions(self, tenant: str, outage_id: str) -> list[Revision]: ...
    async def late_counts(self, tenant: str) -> dict[str, int]: ...


class CustomerDirectory(Protocol):
    async def affected(self, tenant: str, scope: Scope) -> list[Recipient]: ...
    async def place_of_account(self, tenant: str, account_no: str) -> Place | None: ...
    async def place_of(self, tenant: str, *, ta_code: str | None, feeder_code: str | None) -> Place | None: ...
    async def recipients(self, tenant: str, account_nos: list[str]) -> list[Recipient]: ...  # those found, once each


class OutageCalls(Protocol):
    """Repair calls linked to outages (来电关联), one per ticket: `record` is False for a ticket already counted."""

    async def record(self, tenant: str, outage_id: str, ticket_id: str, account_no: str | None, at: datetime) -> bool: ...
    async def count(self, tenant: str, outage_id: str) -> int: ...
    async def callers(self, tenant: str, outage_id: str) -> list[str]: ...  # their account numbers, once each


class NoticeLedger(Protocol):
    """What is queued (read side of the notice queue; queuing, claiming and finishing go through the unit of work)."""

    async def queued_count(self, tenant: str, outage_id: str) -> int: ...


@dataclass(frozen=True)
class Delivery:
    """A gateway's answer for one message."""

    result: str  # sent / failed / suppressed
    provider_message_id: str | None = None
    detail: str | None = None


class NoticeGateway(Protocol):
    async def send(self, notice: Notice, text: str) -> Delivery: ...


class Clock(Protocol):
    def now(self) -> datetime: ...

