"""In-memory fakes of the intake ports, for unit tests (they ship with the code)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from importlib import resources
from typing import Any

from hotline_contracts import Envelope
from intake.domain.knowledge import Article
from intake.domain.model import ActiveOutage, Customer, Ticket
from intake.ports import DuplicateIdempotencyKey, DuplicateOpenOrder
from servicekit.auth import Principal
from servicekit.uow import MemoryOutbox


def default_rules() -> dict[str, Any]:
    """The rule tables shipped with the service (data/defaults.json)."""
    return json.loads(resources.files("intake").joinpath("data/defaults.json").read_text(encoding="utf-8"))


class MemoryAudit:
    """Audit sink for unit tests; production uses `BufferedAudit` (same document shape as servicekit's AuditLog)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def record(self, tenant: str, *, actor: Principal | None, action: str, target: str, result: str, detail: dict[str, Any] | None = None) -> None:
        self.records.append({"tenant": tenant, "actor": actor.subject if actor else None, "action": action, "target": target, "result": result})


class MemoryTickets:
    """Orders and repeat contacts; each write hands its events to a `MemoryOutbox`, as MongoDB and the relay would."""

    def __init__(self, outbox: MemoryOutbox | None = None) -> None:
        self.tickets: dict[tuple[str, str], Ticket] = {}
        self.contacts: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        self.outbox = outbox if outbox is not None else MemoryOutbox()
        self.released: set[tuple[str, str]] = set()
        self.contact_keys: dict[tuple[str, str], str] = {}  # idempotency key of a repeat contact → its order
        self.lifecycle_at: dict[tuple[str, str], datetime] = {}  # when dispatch last closed or reopened it

    async def insert(self, tenant: str, ticket: Ticket, events: Sequence[Envelope[Any]]) -> None:
        if ticket.idempotency_key and await self.by_idempotency_key(tenant, ticket.idempotency_key):
            raise DuplicateIdempotencyKey
        key = ticket.repeat_key()
        if key and any(t.repeat_key() == key and (tenant, t.ticket_id) not in self.released for (tn, _), t in self.tickets.items() if tn == tenant):
            raise DuplicateOpenOrder
        self.tickets[(tenant, ticket.ticket_id)] = replace(ticket)
        self.outbox.commit(events)

    async def get(self, tenant: str, ticket_id: str) -> Ticket | None:
        found = self.tickets.get((tenant, ticket_id))
        return replace(found) if found else None

    async def find_open(self, tenant: str, account_no: str, business_type: str) -> Ticket | None:
        key = f"{account_no}|{business_type}"
        for (tn, tid), t in self.tickets.items():
            if tn == tenant and t.repeat_key() == key and (tn, tid) not in self.released:
                return replace(t)
        return None

    async def by_idempotency_key(self, tenant: str, key: str) -> Ticket | None:
        if (tenant, key) in self.contact_keys:
            return await self.get(tenant, self.contact_keys[(tenant, key)])
        return next((replace(t) for (tn, _), t in self.tickets.items() if tn == tenant and t.idempotency_key == key), None)

    async def attach_contact(self, tenant: str, ticket_id: str, contact: dict[str, Any], events: Sequence[Envelope[Any]]) -> int:
        key = contact.get("idempotency_key")
        if key:
            if await self.by_idempotency_key(tenant, key):
                raise DuplicateIdempotencyKey
            self.contact_keys[(tenant, key)] = ticket_id
        ticket = self.tickets[(tenant, ticket_id)]
        ticket.contact_count += 1
        self.contacts[(tenant, ticket_id)].append(contact)
        self.outbox.commit(events)
        return ticket.contact_count

    async def release_open_key(self, tenant: str, ticket_id: str) -> None:
        self.released.add((tenant, ticket_id))

    async def close(self, tenant: str, ticket_id: str, at: datetime | None = None) -> None:
        if at is not None and not self._not_after(tenant, ticket_id, at):
            return
        if (tenant, ticket_id) in self.tickets:
            self.tickets[(tenant, ticket_id)].state = "closed"
        self.released.add((tenant, ticket_id))

    async def reopen(self, tenant: str, ticket_id: str, at: datetime) -> None:
        ticket = self.tickets.get((tenant, ticket_id))
        if ticket is None or not self._not_after(tenant, ticket_id, at):
            return
        ticket.state = "reopened"
        key = ticket.repeat_key()
        taken = any(t.repeat_key() == key and (tn, tid) not in self.released
                    for (tn, tid), t in self.tickets.items() if tn == tenant and tid != ticket_id)
        if key and not taken:
            self.released.discard((tenant, ticket_id))

    def _not_after(self, tenant: str, ticket_id: str, at: datetime) -> bool:
        """The later of a closure and a reopening wins, whatever order they are read in; records `at` when it does."""
        last = self.lifecycle_at.get((tenant, ticket_id))
        if last is not None and last > at:
            return False
        self.lifecycle_at[(tenant, ticket_id)] = at
        return True

    async def list(self, tenant: str, *, state: str | None, business_type: str | None, limit: int) -> list[Ticket]:
        found = [t for (tn, _), t in sorted(self.tickets.items()) if tn == tenant]
        found = [t for t in found if (state is None or t.state == state) and (business_type is None or t.business_type == business_type)]
        return found[:limit]

    @property
    def published(self) -> list[Envelope[Any]]:
        return self.outbox.published

    def events_of(self, topic: str) -> list[Envelope[Any]]:
        return [e for e in self.outbox.published if e.data.topic() == topic]


class MemoryCustomers:
    def __init__(self, customers: Sequence[Customer] = ()) -> None:
        self.customers: dict[tuple[str, str], Customer] = {(c.tenant, c.account_no): c for c in customers}
        self.updated: dict[tuple[str, str], datetime] = {}

    async def by_account(self, tenant: str, account_no: str) -> Customer | None:
        return self.customers.get((tenant, account_no))

    async def by_phone(self, tenant: str, phone: str) -> list[Customer]:
        return [c for (tn, _), c in self.customers.items() if tn == tenant and c.phone == phone]

    async def by_address(self, tenant: str, text: str, limit: int) -> list[Customer]:
        return [c for (tn, _), c in self.customers.items() if tn == tenant and text in c.address][:limit]

    async def upsert(self, tenant: str, customer: Customer, updated_at: datetime) -> bool:
        key = (tenant, customer.account_no)
        if key in self.updated and self.updated[key] > updated_at:
            return False
        self.customers[key] = customer
        self.updated[key] = updated_at
        return True

    async def route(self, account_no: str) -> str | None:
        return next((tn for (tn, acc) in self.customers if acc == account_no), None)


class MemoryOutages:
    def __init__(self) -> None:
        self.outages: dict[tuple[str, str], ActiveOutage] = {}
        self.calls: dict[tuple[str, str], int] = defaultdict(int)
        self.started_early: set[tuple[str, str]] = set()  # started before its publication arrived
        self.ended: set[tuple[str, str]] = set()

    async def active(self, tenant: str) -> list[ActiveOutage]:
        return [o for (tn, _), o in self.outages.items() if tn == tenant]

    async def save(self, tenant: str, outage: ActiveOutage) -> None:
        key = (tenant, outage.outage_id)
        if key in self.ended:
            return
        current = self.outages.get(key)
        started = outage.started or key in self.started_early or (current is not None and current.started)
        self.outages[key] = replace(outage, started=started)

    async def mark_started(self, tenant: str, outage_id: str) -> None:
        if not await self.patch(tenant, outage_id, {"started": True}):
            self.started_early.add((tenant, outage_id))

    async def patch(self, tenant: str, outage_id: str, changes: dict[str, Any]) -> bool:
        current = self.outages.get((tenant, outage_id))
        if current is None:
            return False
        self.outages[(tenant, outage_id)] = replace(current, **changes)
        return True

    async def end(self, tenant: str, outage_id: str, state: str, at: datetime) -> None:
        self.outages.pop((tenant, outage_id), None)
        self.ended.add((tenant, outage_id))

    async def add_calls(self, tenant: str, counts: dict[str, int]) -> None:
        for outage_id, n in counts.items():
            self.calls[(tenant, outage_id)] += n

    async def call_count(self, tenant: str, outage_id: str) -> int:
        return self.calls[(tenant, outage_id)]


class MemoryNumbers:
    def __init__(self) -> None:
        self.counters: dict[tuple[str, str], int] = defaultdict(int)

    async def next(self, tenant: str, day: str) -> int:
        self.counters[(tenant, day)] += 1
        return self.counters[(tenant, day)]


class MemoryKnowledge:
    def __init__(self) -> None:
        self.articles: dict[tuple[str, str], Article] = {}

    async def save(self, article: Article) -> None:
        self.articles[(article.tenant, article.article_id)] = article

    async def get(self, tenant: str, article_id: str) -> Article | None:
        return self.articles.get((tenant, article_id))

    async def candidates(self, tenants: Sequence[str], words: Sequence[str]) -> list[Article]:
        return [a for (tn, _), a in self.articles.items() if tn in tenants]
