"""Builders shared by the dispatch unit tests (a plain module: tests import it by its unique name)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from dispatch.domain.model import WorkOrder

CST = timezone(timedelta(hours=8))


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)


def make_order(**kw) -> WorkOrder:
    base = dict(
        tenant="370102", ticket_id="370102-20261126-000001", business_type="fault_repair",
        created_at=local(2026, 11, 26, 9, 0), responsible_unit="370102", first_contact_owner="agent:u-37-0001",
        area_class="urban", station_code="370102-S01",
    )
    base.update(kw)
    return WorkOrder(**base)


class FakeClock:
    """The injected clock: tests move it, use cases read it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)


CREWS = [
    {"tenant": "370102", "code": "370102-S01-C1", "station_code": "370102-S01", "name": "一班", "members": []},
    {"tenant": "370102", "code": "370102-S01-C2", "station_code": "370102-S01", "name": "二班", "members": []},
]
ROSTERS = [
    {"tenant": "370102", "crew_code": c, "station_code": "370102-S01", "shift": "day",
     "starts_at": local(2026, 9, 1, 8), "ends_at": local(2026, 12, 31, 20)}
    for c in ("370102-S01-C1", "370102-S01-C2")
]


NEW_TICKET = dict(business_type="fault_repair", sub_type="no_power_single_household", channel="hotline",
                  account_no="3701020001", area_class="urban", important=False, responsible_unit="370102",
                  station_code="370102-S01", first_contact_owner="agent:u-37-0001", accepted_at=local(2026, 11, 26, 9, 0),
                  summary="家中停电")


def created_event(ticket_id: str = "370102-20261126-000001", **kw):
    """The TicketCreatedV1 intake publishes (what the consumer translates)."""
    from hotline_contracts.events.ticket import TicketCreatedV1

    return TicketCreatedV1(**({"ticket_id": ticket_id} | NEW_TICKET | kw))


def new_ticket(ticket_id: str = "370102-20261126-000001", **kw):
    """The command the use case takes for such a ticket."""
    from dispatch.commands import TakeNewTicket

    return TakeNewTicket(**({"ticket_id": ticket_id} | NEW_TICKET | kw))


def published(outbox, topic: str) -> list:
    """Envelopes the use cases committed for `topic`, in commit order."""
    return [e for e in outbox.published if e.data.topic() == topic]
