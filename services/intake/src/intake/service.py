"""Intake use cases (受理): one contact in, one work order (or a repeat contact) out; a closed order stops absorbing calls."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from hotline_contracts import Envelope, make_event
from hotline_contracts.events.common import UrgeMode
from hotline_contracts.events.ticket import (
    Resolution,
    TicketClosedV1,
    TicketCreatedV1,
    TicketLinkedToOutageV1,
    TicketRepeatContactV1,
)
from hotline_contracts.events.timelimit import TicketUrgedV1
from intake.commands import CloseTicket, ReopenTicket
from intake.deps import Deps
from intake.domain.catalog import Catalog, Problem
from intake.domain.model import Contact, Customer, IntakeResult, OutageAnswer, Ticket
from intake.domain.numbers import order_day, ticket_number
from intake.domain.outages import match_outage
from intake.ports import DuplicateIdempotencyKey, DuplicateOpenOrder
from servicekit import correlation

SOURCE = "/hotline/intake"


class IntakeBusy(Exception):
    """The same request (its idempotency key) is being accepted by another call at this moment (→ 409, retry)."""


class IntakeRefused(Exception):
    """The contact cannot become an order as given; `problems` name the fields (→ 422)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message_en for p in problems))
        self.problems = problems


async def accept_contact(tenant: str, contact: Contact, *, deps: Deps) -> IntakeResult:
    """Check the type, identify the customer, apply the arrears and known-outage checks, then store."""
    now = deps.clock()
    deps.metrics.contact(tenant, contact.channel, contact.business_type)
    if contact.idempotency_key:
        earlier = await deps.tickets.by_idempotency_key(tenant, _scoped_key(contact))
        if earlier is not None:
            return IntakeResult(earlier, created=False, replayed=True)
    customer = await _customer(tenant, contact, deps)
    if customer is not None and not contact.account_no:
        contact = replace(contact, account_no=customer.account_no)  # identified by phone
    problems = Catalog.of(await deps.rules.active(tenant, "business_types", now)).check(contact)
    if problems:
        raise IntakeRefused(problems)
    contact, reconnection = _arrears_path(contact, customer)
    answer = None
    if contact.business_type == "fault_repair":
        answer = match_outage(await deps.outages.active(tenant), now, customer, contact.address_text)
    ticket = await _new_ticket(tenant, contact, customer, answer, now, deps)
    return await _store(tenant, ticket, contact, answer, reconnection, deps)


async def close_ticket(tenant: str, cmd: CloseTicket, *, deps: Deps) -> None:
    """Closed by dispatch: a later call from the customer about the same thing opens a new order."""
    await deps.tickets.close(tenant, cmd.ticket_id, cmd.at)


async def reopen_ticket(tenant: str, cmd: ReopenTicket, *, deps: Deps) -> None:
    """Reopened by dispatch: the customer's next call about it is a repeat contact on it again."""
    await deps.tickets.reopen(tenant, cmd.ticket_id, cmd.at)


def _scoped_key(contact: Contact) -> str:
    # The key is the caller's: the same key from another caller is a different request.
    return f"{contact.owner}|{contact.idempotency_key}"


async def _customer(tenant: str, contact: Contact, deps: Deps) -> Customer | None:
    if contact.account_no:
        customer = await deps.customers.by_account(tenant, contact.account_no)
        if customer is None:
            raise IntakeRefused([Problem("body.account_no", "本单位未找到该户号", "account not found in this unit")])
        return customer
    if contact.contact_phone:
        found = await deps.customers.by_phone(tenant, contact.contact_phone)
        return found[0] if len(found) == 1 else None
    return None


def _arrears_path(contact: Contact, customer: Customer | None) -> tuple[Contact, bool]:
    """欠费停电: a cut-off account reporting a fault is a reconnection request, not a crew job."""
    if contact.business_type == "fault_repair" and customer is not None and customer.disconnected_for_arrears:
        return replace(contact, business_type="service_request", sub_type="reconnection"), True
    return contact, False


async def _new_ticket(
    tenant: str, contact: Contact, customer: Customer | None, answer: OutageAnswer | None, now: datetime, deps: Deps
) -> Ticket:
    day = order_day(now)
    number = ticket_number(tenant, day, await deps.numbers.next(tenant, day))
    closed = contact.business_type == "consultation" and contact.resolved_at_first_contact
    return Ticket(
        tenant=tenant, ticket_id=number, business_type=contact.business_type, sub_type=contact.sub_type,
        channel=contact.channel, summary=contact.summary, first_contact_owner=contact.owner, accepted_at=now,
        account_no=contact.account_no or (customer.account_no if customer else None),
        contact_phone=contact.contact_phone or (customer.phone if customer else None),
        address_text=contact.address_text or (customer.address if customer else None),
        customer_name=customer.name if customer else None, area_class=customer.area_class if customer else None,
        important=customer.important if customer else False, station_code=customer.station_code if customer else None,
        feeder_code=customer.feeder_code if customer else None, ta_code=customer.ta_code if customer else None,
        outage_id=answer.outage_id if answer else None, outage_match=answer.match_level if answer else None,
        outage_cause=answer.cause if answer else None, outage_restore_at=answer.estimated_restore_at if answer else None,
        urgency=contact.urgency, referred_from=contact.referred_from, state="closed" if closed else "accepted", kb_article_id=contact.kb_article_id,
        attachment_ref=contact.attachment_ref, idempotency_key=_scoped_key(contact) if contact.idempotency_key else None,
        extra=dict(contact.extra),
    )


async def _store(
    tenant: str, ticket: Ticket, contact: Contact, answer: OutageAnswer | None, reconnection: bool, deps: Deps, attempts: int = 3
) -> IntakeResult:
    try:
        await deps.tickets.insert(tenant, ticket, created_events(ticket))
    except DuplicateIdempotencyKey:
        earlier = await deps.tickets.by_idempotency_key(tenant, _scoped_key(contact))
        if earlier is not None:
            return IntakeResult(earlier, created=False, replayed=True)
        # The key's holder was a simultaneous retry refused in its own turn (the customer's order
        # was open) and undone: this call tries again, and becomes the repeat contact or the replay.
        if attempts <= 1:
            raise IntakeBusy from None
        return await _store(tenant, ticket, contact, answer, reconnection, deps, attempts - 1)
    except DuplicateOpenOrder:
        return await _repeat_or_retry(tenant, ticket, contact, answer, reconnection, deps)
    deps.metrics.created(tenant, ticket.business_type)
    _count_outage_call(tenant, answer, deps)
    return IntakeResult(ticket, created=True, outage=answer, reconnection=reconnection)


async def _repeat_or_retry(
    tenant: str, ticket: Ticket, contact: Contact, answer: OutageAnswer | None, reconnection: bool, deps: Deps
) -> IntakeResult:
    open_order = await deps.tickets.find_open(tenant, ticket.account_no or "", ticket.business_type)
    if open_order is None or not open_order.open:
        # Closed (dispatch's ticket.closed.v1, or a stale key): it no longer absorbs new contacts, a new order opens.
        if open_order is not None:
            await deps.tickets.release_open_key(tenant, open_order.ticket_id)
        return await _store(tenant, ticket, contact, answer, reconnection, deps)
    # Still open, however long ago it was accepted: the call joins it (重复来电) instead of sending a second crew.
    try:
        count = await deps.tickets.attach_contact(tenant, open_order.ticket_id, _contact_doc(ticket), repeat_events(open_order, ticket))
    except DuplicateIdempotencyKey:  # the same request, retried while the first was being attached
        earlier = await deps.tickets.by_idempotency_key(tenant, _scoped_key(contact))
        return IntakeResult(earlier or open_order, created=False, replayed=True)
    deps.metrics.repeat(tenant)
    _count_outage_call(tenant, answer, deps)
    open_order.contact_count = count
    return IntakeResult(open_order, created=False, repeat=True, outage=answer, reconnection=reconnection)


def _count_outage_call(tenant: str, answer: OutageAnswer | None, deps: Deps) -> None:
    if answer is not None:
        deps.calls.record(tenant, answer.outage_id)
        deps.metrics.outage_linked(tenant)


def _contact_doc(ticket: Ticket) -> dict[str, Any]:
    return {"channel": ticket.channel, "owner": ticket.first_contact_owner, "at": ticket.accepted_at,
            "summary": ticket.summary, "idempotency_key": ticket.idempotency_key, "contact_id": ticket.ticket_id}


def _event(ticket: Ticket, data: Any) -> Envelope[Any]:
    return make_event(data, tenant=ticket.tenant, source=SOURCE, correlation_id=correlation.ensure(), subject=ticket.ticket_id)


def created_events(t: Ticket) -> list[Envelope[Any]]:
    """TicketCreated, plus the outage link or the first-contact closure when they apply."""
    events = [_event(t, TicketCreatedV1(
        ticket_id=t.ticket_id, business_type=t.business_type, sub_type=t.sub_type, channel=t.channel,
        referred_from=t.referred_from, account_no=t.account_no, area_class=t.area_class, important=t.important, responsible_unit=t.tenant,
        station_code=t.station_code, ta_code=t.ta_code, feeder_code=t.feeder_code,
        first_contact_owner=t.first_contact_owner, accepted_at=t.accepted_at, summary=t.summary,
        outage_id=t.outage_id, urgency=t.urgency, kb_article_id=t.kb_article_id, first_contact_resolved=t.state == "closed",
    ))]
    if t.outage_id:
        events.append(_event(t, TicketLinkedToOutageV1(
            ticket_id=t.ticket_id, outage_id=t.outage_id, match_level=t.outage_match, linked_by="system:intake",
            at=t.accepted_at, estimated_restore_at=t.outage_restore_at, cause=t.outage_cause, account_no=t.account_no,
        )))
    if t.state == "closed":
        events.append(_event(t, TicketClosedV1(
            ticket_id=t.ticket_id, business_type=t.business_type, responsible_unit=t.tenant, resolution=Resolution.RESOLVED,
            within_time_limit=True, first_contact_resolved=True, closed_by=t.first_contact_owner, at=t.accepted_at,
        )))
    return events


def repeat_events(order: Ticket, contact: Ticket) -> list[Envelope[Any]]:
    """The repeat contact on the open order, and the urge (催办) it sends to the order's owner."""
    return [
        _event(order, TicketRepeatContactV1(
            ticket_id=order.ticket_id, contact_id=contact.ticket_id, channel=contact.channel, account_no=contact.account_no,
            contact_count=order.contact_count + 1, agent=contact.first_contact_owner, at=contact.accepted_at, summary=contact.summary,
        )),
        _event(order, TicketUrgedV1(
            ticket_id=order.ticket_id, mode=UrgeMode.MANUAL, to_unit=order.tenant, reason="客户重复来电催办 / customer called again",
            by=contact.first_contact_owner, at=contact.accepted_at,
        )),
    ]
