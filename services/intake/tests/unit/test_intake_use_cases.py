"""Accepting contacts with memory fakes: arrears, known outages, repeat calls, idempotent retries, first contact."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from intake.commands import CloseTicket, ReopenTicket
from intake.deps import Deps
from intake.domain.model import Contact
from intake.service import IntakeRefused, accept_contact, close_ticket, reopen_ticket
from intake_fixtures import CUT_OFF, IN_OUTAGE, NORMAL, OUTAGE

pytestmark = pytest.mark.unit


def repair(account_no: str, **kw: object) -> Contact:
    return Contact(channel="hotline", business_type="fault_repair", summary="家里没电了", owner="agent:zhangsan", account_no=account_no, **kw)  # type: ignore[arg-type]


async def test_a_repair_call_creates_an_order_that_asks_for_a_crew(deps: Deps) -> None:
    result = await accept_contact("370102", repair(NORMAL.account_no), deps=deps)
    assert result.created and result.outage is None
    created = deps.tickets.events_of("ticket.created.v1")
    assert [e.data.ticket_id for e in created] == [result.ticket.ticket_id]
    data = created[0].data
    assert data.outage_id is None and data.ta_code == NORMAL.ta_code and data.first_contact_owner == "agent:zhangsan"
    assert result.ticket.ticket_id.startswith("370102-20261126-")


async def test_arrears_disconnected_account_gets_reconnection_not_a_crew(deps: Deps) -> None:
    result = await accept_contact("370102", repair(CUT_OFF.account_no), deps=deps)
    assert result.reconnection
    data = deps.tickets.events_of("ticket.created.v1")[0].data
    assert (data.business_type, data.sub_type) == ("service_request", "reconnection")


async def test_call_inside_an_active_outage_is_linked_and_counted_without_dispatch(deps: Deps) -> None:
    first = await accept_contact("370102", repair(IN_OUTAGE.account_no), deps=deps)
    assert first.outage is not None and first.outage.outage_id == OUTAGE.outage_id
    assert first.outage.cause == OUTAGE.cause and first.outage.estimated_restore_at == OUTAGE.planned_end
    created = deps.tickets.events_of("ticket.created.v1")[0].data
    assert created.outage_id == OUTAGE.outage_id  # dispatch sends no crew for it
    link = deps.tickets.events_of("ticket.linked_to_outage.v1")[0].data
    assert (link.match_level, link.cause) == ("transformer_area", OUTAGE.cause)
    await accept_contact("370102", replace(repair("3701020004"), account_no="3701020004"), deps=deps)
    await deps.calls.flush()
    assert await deps.outage_projection.call_count("370102", OUTAGE.outage_id) == 2


async def test_repeat_call_within_window_attaches_and_urges_instead_of_a_new_order(deps: Deps, clock) -> None:
    first = await accept_contact("370102", repair(NORMAL.account_no), deps=deps)
    clock.now += timedelta(hours=2)
    again = await accept_contact("370102", replace(repair(NORMAL.account_no), channel="wechat", owner="agent:lisi"), deps=deps)
    assert again.repeat and not again.created and again.ticket.ticket_id == first.ticket.ticket_id
    assert again.ticket.contact_count == 2 and again.ticket.first_contact_owner == "agent:zhangsan"
    assert len(deps.tickets.events_of("ticket.created.v1")) == 1
    repeat = deps.tickets.events_of("ticket.repeat_contact_attached.v1")[0].data
    urge = deps.tickets.events_of("ticket.urged.v1")[0].data
    assert (repeat.contact_count, repeat.channel) == (2, "wechat") and urge.ticket_id == first.ticket.ticket_id


async def test_a_call_after_the_window_attaches_while_the_order_is_still_open(deps: Deps, clock) -> None:
    first = await accept_contact("370102", repair(NORMAL.account_no), deps=deps)
    clock.now += timedelta(hours=25)  # past the 24 h window: the order is still open, so no second crew
    later = await accept_contact("370102", repair(NORMAL.account_no), deps=deps)
    assert later.repeat and not later.created and later.ticket.ticket_id == first.ticket.ticket_id
    assert len(deps.tickets.events_of("ticket.created.v1")) == 1
    assert deps.tickets.events_of("ticket.repeat_contact_attached.v1")[0].data.ticket_id == first.ticket.ticket_id


async def test_a_call_after_dispatch_closed_the_order_opens_a_new_one(deps: Deps, clock) -> None:
    first = await accept_contact("370102", repair(NORMAL.account_no), deps=deps)
    clock.now += timedelta(hours=1)
    await close_ticket("370102", CloseTicket(first.ticket.ticket_id, clock.now), deps=deps)
    later = await accept_contact("370102", repair(NORMAL.account_no), deps=deps)
    assert later.created and later.ticket.ticket_id != first.ticket.ticket_id


async def test_a_reopened_order_absorbs_calls_again_even_when_its_reopening_is_read_first(deps: Deps, clock) -> None:
    first = await accept_contact("370102", repair(NORMAL.account_no), deps=deps)
    tid, closed_at = first.ticket.ticket_id, clock.now + timedelta(hours=1)
    await reopen_ticket("370102", ReopenTicket(tid, closed_at + timedelta(hours=1)), deps=deps)  # read before the closure
    await close_ticket("370102", CloseTicket(tid, closed_at), deps=deps)  # older: does not undo the reopening
    clock.now += timedelta(hours=30)
    again = await accept_contact("370102", repair(NORMAL.account_no), deps=deps)
    assert again.repeat and again.ticket.ticket_id == tid


async def test_a_reopened_order_leaves_the_calls_to_a_newer_open_order(deps: Deps, clock) -> None:
    first = await accept_contact("370102", repair(NORMAL.account_no), deps=deps)
    clock.now += timedelta(hours=1)
    await close_ticket("370102", CloseTicket(first.ticket.ticket_id, clock.now), deps=deps)
    newer = await accept_contact("370102", repair(NORMAL.account_no), deps=deps)
    await reopen_ticket("370102", ReopenTicket(first.ticket.ticket_id, clock.now + timedelta(minutes=5)), deps=deps)
    again = await accept_contact("370102", repair(NORMAL.account_no), deps=deps)
    assert again.repeat and again.ticket.ticket_id == newer.ticket.ticket_id


async def test_another_business_type_is_not_a_repeat(deps: Deps) -> None:
    await accept_contact("370102", repair(NORMAL.account_no), deps=deps)
    complaint = Contact(channel="hotline", business_type="complaint", sub_type="outage", summary="停电太频繁", owner="agent:a",
                        account_no=NORMAL.account_no, contact_phone="13805310001")
    assert (await accept_contact("370102", complaint, deps=deps)).created


async def test_retry_with_the_same_idempotency_key_returns_the_same_order(deps: Deps) -> None:
    first = await accept_contact("370102", repair(NORMAL.account_no, idempotency_key="k-1"), deps=deps)
    retry = await accept_contact("370102", repair(NORMAL.account_no, idempotency_key="k-1"), deps=deps)
    assert retry.replayed and retry.ticket.ticket_id == first.ticket.ticket_id
    assert len(deps.tickets.tickets) == 1 and len(deps.tickets.events_of("ticket.created.v1")) == 1


async def test_a_retried_repeat_contact_is_attached_once(deps: Deps, clock) -> None:
    first = await accept_contact("370102", repair(NORMAL.account_no), deps=deps)
    clock.now += timedelta(minutes=30)
    again = await accept_contact("370102", repair(NORMAL.account_no, idempotency_key="cti-7"), deps=deps)
    retry = await accept_contact("370102", repair(NORMAL.account_no, idempotency_key="cti-7"), deps=deps)
    assert again.repeat and retry.replayed and retry.ticket.ticket_id == first.ticket.ticket_id
    assert retry.ticket.contact_count == 2  # the retry is answered with the order, not attached again
    assert len(deps.tickets.events_of("ticket.repeat_contact_attached.v1")) == 1


async def test_consultation_answered_from_the_knowledge_base_closes_at_first_contact(deps: Deps) -> None:
    ask = Contact(channel="hotline", business_type="consultation", summary="阶梯电价怎么算", owner="agent:a",
                  kb_article_id="KB-1", resolved_at_first_contact=True)
    result = await accept_contact("370102", ask, deps=deps)
    assert result.ticket.state == "closed"
    closed = deps.tickets.events_of("ticket.closed.v1")[0].data
    created = deps.tickets.events_of("ticket.created.v1")[0].data
    assert closed.first_contact_resolved and created.kb_article_id == "KB-1"
    assert created.first_contact_resolved  # dispatch reads this and never opens it


async def test_an_ordinary_contact_is_not_flagged_closed_at_first_contact(deps: Deps) -> None:
    await accept_contact("370102", repair(NORMAL.account_no), deps=deps)
    assert not deps.tickets.events_of("ticket.created.v1")[0].data.first_contact_resolved


async def test_unknown_account_and_missing_fields_are_refused_per_field(deps: Deps) -> None:
    with pytest.raises(IntakeRefused) as unknown:
        await accept_contact("370102", repair("3701029999"), deps=deps)
    assert [p.loc for p in unknown.value.problems] == ["body.account_no"]
    with pytest.raises(IntakeRefused) as missing:
        await accept_contact("370102", Contact(channel="sms", business_type="service_request", summary="x", owner="system:sms"), deps=deps)
    assert {p.loc for p in missing.value.problems} == {"body.sub_type", "body.account_no"}
