"""In-memory fakes of the ports and the unit of work, for unit tests (same guarantees: unique notices, seq checks).

`MemoryStore` holds what the fakes store; its `outbox` (`servicekit.uow.MemoryOutbox`) lists every event
committed, in commit order, as the relay would publish them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from outage_notice.domain.lookup import Place
from outage_notice.domain.notices import Notice, Recipient
from outage_notice.domain.outage import CURRENT_STATES, Outage, Revision, Scope
from outage_notice.ports import Delivery
from outage_notice.uow import OutageUnitOfWork, OutageWrite, Result, duplicate_outage, stale_outage
from servicekit.uow import Events, MemoryOutbox


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.current += timedelta(**delta)


@dataclass
class MemoryOutages:
    outages: dict[tuple[str, str], Outage] = field(default_factory=dict)
    history: dict[tuple[str, str], list[Revision]] = field(default_factory=dict)

    async def insert(self, tenant: str, outage: Outage, revisions: list[Revision]) -> None:
        if (tenant, outage.outage_id) in self.outages:
            raise duplicate_outage()
        self.outages[(tenant, outage.outage_id)] = outage
        self.history[(tenant, outage.outage_id)] = list(revisions)

    async def update(self, tenant: str, outage: Outage, revisions: list[Revision], *, expected_seq: int) -> None:
        if self.outages[(tenant, outage.outage_id)].seq != expected_seq:
            raise stale_outage()
        self.outages[(tenant, outage.outage_id)] = outage
        self.history[(tenant, outage.outage_id)].extend(revisions)

    async def get(self, tenant: str, outage_id: str) -> Outage | None:
        return self.outages.get((tenant, outage_id))

    async def current(self, tenant: str) -> list[Outage]:
        return [o for (t, _), o in self.outages.items() if t == tenant and o.state in CURRENT_STATES]

    async def listing(self, tenant: str, *, state: str | None, limit: int) -> list[Outage]:
        found = [o for (t, _), o in self.outages.items() if t == tenant and (state is None or o.state == state)]
        return found[:limit]

    async def revisions(self, tenant: str, outage_id: str) -> list[Revision]:
        return list(self.history.get((tenant, outage_id), []))

    async def late_counts(self, tenant: str) -> dict[str, int]:
        return dict(Counter(o.reporting_unit for (t, _), o in self.outages.items() if t == tenant and o.late))

    async def mark_renotice_done(self, tenant: str, outage_id: str) -> None:
        self.outages[(tenant, outage_id)] = replace(self.outages[(tenant, outage_id)], renotice_done=True)


@dataclass
class MemoryDirectory:
    """Customers as dicts shaped like the tenant DB's `customers` documents, plus the topology."""

    customers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    areas: dict[str, dict[str, Place]] = field(default_factory=dict)  # tenant -> ta_code -> place

    async def affected(self, tenant: str, scope: Scope) -> list[Recipient]:
        return [
            to_recipient(c)
            for c in self.customers.get(tenant, [])
            if scope.covers(station=c["station_code"], feeder=c["feeder_code"], ta=c["ta_code"])
        ]

    async def recipients(self, tenant: str, account_nos: list[str]) -> list[Recipient]:
        wanted = set(account_nos)
        return [to_recipient(c) for c in self.customers.get(tenant, []) if c["account_no"] in wanted]

    async def place_of_account(self, tenant: str, account_no: str) -> Place | None:
        for c in self.customers.get(tenant, []):
            if c["account_no"] == account_no:
                return Place(c["station_code"], c["feeder_code"], c["ta_code"])
        return None

    async def place_of(self, tenant: str, *, ta_code: str | None, feeder_code: str | None) -> Place | None:
        for place in self.areas.get(tenant, {}).values():
            if (ta_code and place.ta_code == ta_code) or (feeder_code and place.feeder_code == feeder_code):
                return place if ta_code else Place(place.station_code, place.feeder_code, None)
        return None


def to_recipient(doc: dict[str, Any]) -> Recipient:
    return Recipient(
        account_no=doc["account_no"],
        phone=doc.get("phone"),
        preferred_channel=doc.get("preferred_channel") or "sms",
        channels=tuple(doc.get("channels") or ("sms",)),
        important=bool(doc.get("important")),
        dedicated_transformer=bool(doc.get("dedicated_transformer")),
    )


@dataclass
class MemoryNoticeQueue:
    """Notices keyed like the ledger; each (outage, kind, channel) forms one batch, as in MongoDB."""

    queued: dict[tuple[str, ...], Notice] = field(default_factory=dict)
    status: dict[tuple[str, ...], str] = field(default_factory=dict)

    async def enqueue(self, tenant: str, notices: list[Notice]) -> int:
        fresh = [n for n in notices if n.key not in self.queued]
        for n in fresh:
            self.queued[n.key] = replace(n, batch_id=f"{n.outage_id}|{n.stored_kind}|{n.channel}")
            self.status[n.key] = "queued"
        return len(fresh)

    async def claim_due(self, tenant: str, now: datetime, limit: int) -> list[Notice]:
        due = [n for k, n in self.queued.items() if k[0] == tenant and self.status[k] == "queued" and n.due_at <= now]
        for n in due[:limit]:
            self.status[n.key] = "sending"
        return due[:limit]

    async def finish(self, tenant: str, results: list[Result], at: datetime) -> None:
        for notice, result, _ in results:
            self.status[notice.key] = result

    async def queued_count(self, tenant: str, outage_id: str) -> int:
        return sum(1 for k in self.queued if k[0] == tenant and k[1] == outage_id)


@dataclass
class RecordingGateway:
    """Remembers every message; `fail_accounts` makes some deliveries fail."""

    sent: list[tuple[Notice, str]] = field(default_factory=list)
    fail_accounts: set[str] = field(default_factory=set)

    async def send(self, notice: Notice, text: str) -> Delivery:
        if notice.account_no in self.fail_accounts:
            return Delivery("failed", detail="网关拒收 / gateway refused")
        self.sent.append((replace(notice), text))
        return Delivery("sent", provider_message_id=f"MEM-{len(self.sent)}")


@dataclass
class MemoryStore:
    """Everything the in-memory unit of work commits into, for a test to look at."""

    outages: MemoryOutages = field(default_factory=MemoryOutages)
    notices: MemoryNoticeQueue = field(default_factory=MemoryNoticeQueue)
    outbox: MemoryOutbox = field(default_factory=MemoryOutbox)


class MemoryOutageUnitOfWork(OutageUnitOfWork):
    """Commits into a `MemoryStore`; each document's events reach its outbox only when that write succeeds."""

    def __init__(self, tenant: str, store: MemoryStore) -> None:
        super().__init__(tenant, store.outages)
        self.store = store

    async def claim_due(self, now: datetime, limit: int) -> list[Notice]:
        return await self.store.notices.claim_due(self.tenant, now, limit)

    async def _write_outage(self, write: OutageWrite, events: Events) -> None:
        if write.expected_seq is None:
            await self.store.outages.insert(self.tenant, write.outage, write.revisions)
        else:
            await self.store.outages.update(self.tenant, write.outage, write.revisions, expected_seq=write.expected_seq)
        self.store.outbox.commit(events)

    async def _enqueue(self, notices: list[Notice]) -> int:
        return await self.store.notices.enqueue(self.tenant, notices)

    async def _mark_renotice_done(self, outage_id: str) -> None:
        await self.store.outages.mark_renotice_done(self.tenant, outage_id)

    async def _finish(self, results: list[Result], at: datetime, events: dict[str, Events]) -> None:
        await self.store.notices.finish(self.tenant, results, at)
        for batch in dict.fromkeys(n.batch_id or "" for n, _, _ in results):
            self.store.outbox.commit(events.get(batch, []))
