"""The closed loop (闭环) on the in-memory fakes: visit before close, reopen with fresh clocks, first contact."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch import timing
from dispatch.commands import AuditReply, Close, RecordCustomerContact, Reply, ScanTimeLimits, VisitDecided, VisitDone
from dispatch.contact import record_customer_contact
from dispatch.service import act, take_new_ticket
from dispatch.visits import visit_decided, visit_done
from dispatch_builders import new_ticket, published
from servicekit.errors import AlreadyHandled, AppError

pytestmark = pytest.mark.unit
T = "370102"
TID = "370102-20261126-000001"
COMPLAINT = dict(business_type="complaint", sub_type="service_conduct", station_code=None)


async def complaint(deps) -> None:
    await take_new_ticket(T, new_ticket(**COMPLAINT), deps=deps)


async def answer_and_audit(deps, clock, contacted=None) -> None:
    reply = {"kind": "reply", "by": "staff:u-370102-1", "outcome": "resolved", "content": "已致歉",
             "customer_contacted_at": (contacted or clock()).isoformat()}
    await act(T, Reply(ticket_id=TID, actor="staff:u-370102-1", reply=reply), deps=deps)
    await act(T, AuditReply(ticket_id=TID, actor="agent:u-37-1"), deps=deps)


async def scan(deps):
    return await timing.scan_tenant(T, ScanTimeLimits(), deps=deps)


async def test_an_audited_order_waits_for_its_visit_and_cannot_be_closed_by_hand(deps, outbox, clock):
    await complaint(deps)
    await answer_and_audit(deps, clock)
    [audited] = published(outbox, "reply.audited.v1")
    assert (audited.data.business_type, audited.data.responsible_unit) == ("complaint", T)  # what survey decides on
    with pytest.raises(AppError) as early:
        await act(T, Close(ticket_id=TID, actor="agent:u-37-1"), deps=deps)
    assert (early.value.status, early.value.code) == (409, "return_visit_pending")
    await visit_decided(T, VisitDecided(ticket_id=TID, visited=True, at=clock()), deps=deps)
    assert (await deps.orders.get(T, TID)).state.value == "return_visit"
    with pytest.raises(AppError):
        await act(T, Close(ticket_id=TID, actor="agent:u-37-1"), deps=deps)
    clock.advance(hours=20)
    order = await visit_done(T, VisitDone(ticket_id=TID, result="fairly_satisfied", actor="agent:u-37-2", at=clock()), deps=deps)
    assert order.state.value == "closed"
    [closed] = published(outbox, "ticket.closed.v1")
    assert closed.data.within_time_limit is True and closed.data.closed_by == "agent:u-37-2"
    with pytest.raises(AlreadyHandled):  # the decision read after the result (separate topics) changes nothing
        await visit_decided(T, VisitDecided(ticket_id=TID, visited=True, at=clock()), deps=deps)


async def test_an_order_survey_will_not_visit_closes_at_once(deps, outbox, clock):
    await complaint(deps)
    await answer_and_audit(deps, clock)
    order = await visit_decided(T, VisitDecided(ticket_id=TID, visited=False, at=clock()), deps=deps)
    assert order.state.value == "closed" and len(published(outbox, "ticket.closed.v1")) == 1


async def test_unsatisfied_reopens_with_fresh_clocks_redispatches_and_supervises_the_city(deps, outbox, clock):
    await complaint(deps)
    clock.advance(days=4)  # Monday 09:00: past 50 % of the 4-working-day reply clock
    assert (await scan(deps)).warnings >= 1
    await answer_and_audit(deps, clock)
    await visit_decided(T, VisitDecided(ticket_id=TID, visited=True, at=clock()), deps=deps)
    clock.advance(hours=2)
    reopened_at = clock()
    done = VisitDone(ticket_id=TID, result="unsatisfied", actor="agent:u-37-2", at=reopened_at, visit_id="RV-1", comment="仍未解决")
    order = await visit_done(T, done, deps=deps)
    assert order.state.value == "dispatched" and order.marks == {}
    assert order.milestones["reopened"] == reopened_at and "replied" not in order.milestones
    [reopened] = published(outbox, "ticket.reopened.v1")
    assert (reopened.data.cause, reopened.data.visit_id) == ("unsatisfied_return_visit", "RV-1")
    assert published(outbox, "ticket.dispatched.v1")[-1].data.to_unit == T
    supervised = published(outbox, "supervision.raised.v1")[-1]  # the first-contact breach (no contact) raised one earlier
    assert (supervised.data.raised_at_unit, supervised.data.target_unit) == ("3701", T)
    before = len(published(outbox, "timelimit.warning_raised.v1"))
    clock.advance(minutes=1)
    assert (await scan(deps)).warnings == 0 and (await scan(deps)).breaches == 0  # fresh: nothing in the first minute
    clock.advance(days=3)  # Thursday: the reopened clock passes 50 % of its own limit, counted from the reopen
    assert (await scan(deps)).warnings >= 1 and len(published(outbox, "timelimit.warning_raised.v1")) > before
    assert not published(outbox, "ticket.closed.v1")


async def test_a_repair_reopened_after_its_visit_is_not_supervised(deps, outbox, clock):
    await take_new_ticket(T, new_ticket(), deps=deps)
    repair = {"kind": "reply", "by": "staff:u-1", "outcome": "resolved", "content": "已复电", "cause": "接户线断",
              "fault_class": {"level1": "低压故障"}, "departed_at": clock().isoformat(),
              "arrived_at": clock().isoformat(), "restored_at": clock().isoformat()}
    clock.advance(minutes=40)
    await act(T, Reply(ticket_id=TID, actor="staff:u-1", reply=repair), deps=deps)
    await act(T, AuditReply(ticket_id=TID, actor="agent:u-37-1"), deps=deps)
    await visit_done(T, VisitDone(ticket_id=TID, result="unsatisfied", actor="agent:u-37-2", at=clock()), deps=deps)
    assert (await deps.orders.get(T, TID)).state.value == "dispatched" and not published(outbox, "supervision.raised.v1")


async def test_a_first_contact_in_hour_one_stops_the_24h_clock(deps, outbox, clock):
    await complaint(deps)
    clock.advance(minutes=50)
    await record_customer_contact(T, RecordCustomerContact(ticket_id=TID, actor="staff:u-1"), deps=deps)
    clock.advance(hours=24)  # hour 25
    await scan(deps)
    assert [e.data.clock for e in published(outbox, "timelimit.breached.v1")] == []
    await answer_and_audit(deps, clock, contacted=clock() - timedelta(hours=24))
    await visit_decided(T, VisitDecided(ticket_id=TID, visited=False, at=clock()), deps=deps)
    assert published(outbox, "ticket.closed.v1")[0].data.within_time_limit is True


async def test_a_breached_first_contact_is_never_reported_on_time_by_the_close(deps, outbox, clock):
    await complaint(deps)
    clock.advance(hours=25)
    await scan(deps)
    assert [e.data.clock for e in published(outbox, "timelimit.breached.v1")] == ["first_contact"]
    # The reply claims the customer was called in hour 1: the clock now looks met, the breach stands.
    await answer_and_audit(deps, clock, contacted=clock() - timedelta(hours=24))
    await visit_decided(T, VisitDecided(ticket_id=TID, visited=False, at=clock()), deps=deps)
    assert published(outbox, "ticket.closed.v1")[0].data.within_time_limit is False


async def test_a_contact_time_outside_the_order_is_refused_and_a_second_contact_keeps_the_first(deps, clock):
    await complaint(deps)
    with pytest.raises(AppError) as future:
        await record_customer_contact(T, RecordCustomerContact(ticket_id=TID, actor="staff:u-1", at=clock() + timedelta(hours=1)),
                                      deps=deps)
    assert future.value.status == 422 and [f.loc for f in future.value.fields] == ["body.at"]
    first = clock()
    await record_customer_contact(T, RecordCustomerContact(ticket_id=TID, actor="staff:u-1"), deps=deps)
    clock.advance(hours=1)
    order = await record_customer_contact(T, RecordCustomerContact(ticket_id=TID, actor="staff:u-2"), deps=deps)
    assert order.milestones["customer_contacted"] == first and [h.action for h in order.history][-2:] == ["customer_contacted"] * 2


async def test_a_repair_reply_without_its_repair_facts_is_refused_and_nobody_audits_their_own_reply(deps, clock):
    await take_new_ticket(T, new_ticket(), deps=deps)
    plain = {"kind": "reply", "by": "staff:u-1", "outcome": "resolved", "content": "已处理"}
    with pytest.raises(AppError) as bare:
        await act(T, Reply(ticket_id=TID, actor="staff:u-1", reply=plain), deps=deps)
    assert bare.value.status == 422
    assert {f.loc for f in bare.value.fields} >= {"body.arrived_at", "body.fault_class", "body.cause", "body.restored_at"}
    full = plain | {"cause": "接户线断", "fault_class": {"level1": "低压故障"}, "departed_at": clock().isoformat(),
                    "arrived_at": clock().isoformat(), "restored_at": clock().isoformat()}
    await act(T, Reply(ticket_id=TID, actor="staff:u-1", reply=full), deps=deps)
    with pytest.raises(AppError) as own:
        await act(T, AuditReply(ticket_id=TID, actor="staff:u-1"), deps=deps)
    assert (own.value.status, own.value.code) == (409, "own_reply")
