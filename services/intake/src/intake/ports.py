"""What the intake use cases need from the outside world (受理服务端口)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from hotline_contracts import Envelope
from intake.domain.knowledge import Article
from intake.domain.model import ActiveOutage, Customer, Ticket
from servicekit.auth import Principal


class DuplicateOpenOrder(Exception):
    """An open order for the same customer and type exists (the unique open key refused the insert)."""


class DuplicateIdempotencyKey(Exception):
    """The caller already created an order with this Idempotency-Key."""


class TicketRepository(Protocol):
    async def insert(self, tenant: str, ticket: Ticket, events: Sequence[Envelope[Any]]) -> None:
        """Store the order and its pending events atomically; raise DuplicateOpenOrder / DuplicateIdempotencyKey."""

    async def get(self, tenant: str, ticket_id: str) -> Ticket | None: ...

    async def find_open(self, tenant: str, account_no: str, business_type: str) -> Ticket | None: ...

    async def by_idempotency_key(self, tenant: str, key: str) -> Ticket | None: ...

    async def attach_contact(self, tenant: str, ticket_id: str, contact: dict[str, Any], events: Sequence[Envelope[Any]]) -> int:
        """Record a repeat contact (and its events); returns the order's contact count.

        The contact's idempotency key, if any, then names the order; DuplicateIdempotencyKey if it already does.
        """

    async def release_open_key(self, tenant: str, ticket_id: str) -> None:
        """The order no longer blocks a new one (older than the repeat window)."""

    async def close(self, tenant: str, ticket_id: str, at: datetime | None = None) -> None:
        """Closed elsewhere (dispatch): the order is closed here too and stops absorbing repeat contacts.

        Ignored when a reopening made after `at` was already applied (the two come on different topics).
        """

    async def reopen(self, tenant: str, ticket_id: str, at: datetime) -> None:
        """Reopened by dispatch: open again, and it absorbs repeat contacts again unless a newer order of the
        same customer and type took its place meanwhile. Ignored when a closure made after `at` was applied."""

    async def list(self, tenant: str, *, state: str | None, business_type: str | None, limit: int) -> list[Ticket]: ...


class CustomerDirectory(Protocol):
    async def by_account(self, tenant: str, account_no: str) -> Customer | None: ...

    async def by_phone(self, tenant: str, phone: str) -> list[Customer]: ...

    async def by_address(self, tenant: str, text: str, limit: int) -> list[Customer]: ...

    async def upsert(self, tenant: str, customer: Customer, updated_at: datetime) -> bool:
        """Store unless a newer record is already there; True when stored."""

    async def route(self, account_no: str) -> str | None:
        """The tenant an account belongs to (platform routing table), if known."""


class OutageProjection(Protocol):
    """Known outages. Published, started and ended arrive on different topics, so in any order:
    a start or an end that comes before the publication is kept and applies when it arrives."""

    async def active(self, tenant: str) -> list[ActiveOutage]: ...

    async def save(self, tenant: str, outage: ActiveOutage) -> None: ...

    async def patch(self, tenant: str, outage_id: str, changes: dict[str, Any]) -> bool: ...

    async def mark_started(self, tenant: str, outage_id: str) -> None: ...

    async def end(self, tenant: str, outage_id: str, state: str, at: datetime) -> None: ...

    async def add_calls(self, tenant: str, counts: dict[str, int]) -> None: ...

    async def call_count(self, tenant: str, outage_id: str) -> int: ...


class ActiveOutages(Protocol):
    """The projection's active outages as the known-outage check reads them (cached: a call storm reads it per call)."""

    async def active(self, tenant: str) -> list[ActiveOutage]: ...

    def invalidate(self, tenant: str) -> None:
        """The projection changed: the next read goes to it."""


class OutageCalls(Protocol):
    """Calls linked to each outage, counted in memory and added to the projection in batches."""

    def record(self, tenant: str, outage_id: str) -> None: ...

    async def flush(self) -> None: ...


class OrderNumbers(Protocol):
    async def next(self, tenant: str, day: str) -> int: ...


class RuleStore(Protocol):
    """The rows of a rule table in force at a time (servicekit.rules; raises RuleTableMissing when none is)."""

    async def active(self, tenant: str, table: str, at: datetime) -> list[dict[str, Any]]: ...


class CachedRuleStore(RuleStore, Protocol):
    def invalidate(self, tenant: str, name: str) -> None:
        """A new version was saved: the next read goes to the store."""


class AuditSink(Protocol):
    """Audit records, buffered: recording never waits for the database (order creation is the hot path)."""

    def record(self, tenant: str, *, actor: Principal | None, action: str, target: str, result: str,
               detail: dict[str, Any] | None = None) -> None: ...


class KnowledgeStore(Protocol):
    async def save(self, article: Article) -> None: ...

    async def get(self, tenant: str, article_id: str) -> Article | None: ...

    async def candidates(self, tenants: Sequence[str], words: Sequence[str]) -> list[Article]: ...
