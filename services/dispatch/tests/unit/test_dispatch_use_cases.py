"""Use cases with the in-memory fakes: new ticket → dispatched with a crew; crew moves; scanner urges and supervises."""

from __future__ import annotations

import pytest

from dispatch import handovers, timing
from dispatch.commands import (
    AcceptByCrew,
    Arrive,
    AuditReply,
    BuildHandover,
    Close,
    Complete,
    ConfirmHandover,
    Depart,
    ScanTimeLimits,
    Supervise,
    Urge,
)
from dispatch.service import act, take_new_ticket
from dispatch_builders import local, new_ticket, published
from servicekit.errors import AlreadyHandled, AppError

pytestmark = pytest.mark.unit
T = "370102"


async def test_new_repair_ticket_is_dispatched_to_the_least_busy_on_duty_crew(deps, outbox):
    first = await take_new_ticket(T, new_ticket("A"), deps=deps)
    second = await take_new_ticket(T, new_ticket("B"), deps=deps)
    assert (first.state.value, first.crew_code, second.crew_code) == ("dispatched", "370102-S01-C1", "370102-S01-C2")
    topics = [e.data.topic() for e in outbox.published[:3]]
    assert topics == ["ticket.state_changed.v1", "ticket.dispatched.v1", "crew.assigned.v1"]
    assert {(e.tenant, e.subject, e.source) for e in outbox.published[:3]} == {(T, "A", "/hotline/dispatch")}


async def test_a_redelivered_ticket_is_already_handled_and_another_under_its_number_refused(deps, outbox):
    await take_new_ticket(T, new_ticket(event_id="ev-1"), deps=deps)
    with pytest.raises(AlreadyHandled):
        await take_new_ticket(T, new_ticket(event_id="ev-1"), deps=deps)
    with pytest.raises(AppError) as refused:
        await take_new_ticket(T, new_ticket(event_id="ev-2", first_contact_owner="agent:u-37-0009"), deps=deps)
    assert refused.value.code == "duplicate_order"
    assert len(outbox.published) == 3  # only the first ticket's events: refused writes keep none
    assert (await deps.orders.get(T, "370102-20261126-000001")).source_event_id == "ev-1"


async def test_crew_actions_move_the_order_and_other_crews_are_refused(deps, outbox):
    await take_new_ticket(T, new_ticket(), deps=deps)
    tid = "370102-20261126-000001"
    with pytest.raises(AppError) as wrong:
        await act(T, AcceptByCrew(ticket_id=tid, actor="crew:x", crew_code="370102-S01-C2"), deps=deps)
    assert wrong.value.code == "crew_mismatch"
    for step in (AcceptByCrew, Depart, Arrive):
        await act(T, step(ticket_id=tid, actor="crew:a", crew_code="370102-S01-C1"), deps=deps)
    before = len(outbox.published)
    with pytest.raises(AppError) as refused:
        await act(T, Close(ticket_id=tid, actor="agent:a"), deps=deps)
    assert refused.value.status == 409 and "complete" in refused.value.message_en
    assert len(outbox.published) == before  # a refused action stores nothing and announces nothing
    order = await deps.orders.get(T, tid)
    assert order.state.value == "on_site" and [h.action for h in order.history] == ["dispatch", "accept", "depart", "arrive"]
    moves = [(e.data.from_state.value, e.data.to_state.value) for e in published(outbox, "ticket.state_changed.v1")]
    assert moves == [("accepted", "dispatched"), ("dispatched", "assigned"), ("assigned", "in_progress")]


async def test_an_order_changed_since_it_was_read_is_refused_with_its_events(deps, outbox):
    tid = "370102-20261126-000001"
    await take_new_ticket(T, new_ticket(), deps=deps)
    read = deps.orders.get

    async def read_then_another_writer_saves(tenant, ticket_id):
        order = await read(tenant, ticket_id)
        deps.orders.orders[(tenant, ticket_id)].version += 1
        return order

    deps.orders.get = read_then_another_writer_saves
    before = len(outbox.published)
    with pytest.raises(AppError) as stale:
        await act(T, AcceptByCrew(ticket_id=tid, actor="crew:a"), deps=deps)
    assert stale.value.code == "stale_order" and len(outbox.published) == before


async def test_scanner_raises_each_warning_once_then_breach_with_supervision_at_parent(deps, clock, outbox):
    await take_new_ticket(T, new_ticket(), deps=deps)  # urban: 45 min to arrive
    per_scan = []
    for minutes in (10, 13, 11, 7, 1, 4, 10):  # 10, 23, 34, 41, 42, 46, 56 minutes after creation
        clock.advance(minutes=minutes)
        result = await timing.scan_tenant(T, ScanTimeLimits(), deps=deps)
        per_scan.append((result.warnings, result.breaches))
    assert per_scan == [(0, 0), (1, 0), (1, 0), (1, 0), (0, 0), (1, 1), (0, 0)]
    assert [e.data.level for e in published(outbox, "timelimit.warning_raised.v1")] == [1, 2, 3, 4]
    urges = published(outbox, "ticket.urged.v1")
    assert [(u.data.mode.value, u.data.warning_level, u.data.to_unit) for u in urges] == [
        ("automatic", n, T) for n in (1, 2, 3, 4)]
    (breach,) = published(outbox, "timelimit.breached.v1")
    assert breach.data.clock == "arrival" and breach.data.due_at == local(2026, 11, 26, 9, 45)
    (sup,) = published(outbox, "supervision.raised.v1")
    assert (sup.tenant, sup.data.raised_at_unit, sup.data.target_unit) == (T, "3701", T)
    assert deps.metrics.breaches.labels(T, "arrival")._value.get() == 1


async def test_arrival_in_time_stops_the_clock_before_any_breach(deps, clock, outbox):
    await take_new_ticket(T, new_ticket(), deps=deps)
    for step in (AcceptByCrew, Arrive):
        await act(T, step(ticket_id="370102-20261126-000001", actor="crew:a"), deps=deps)
    clock.advance(hours=2)  # restoration (3 h from arrival) is now at about 67 %
    await timing.scan_tenant(T, ScanTimeLimits(), deps=deps)
    assert published(outbox, "timelimit.breached.v1") == []
    assert {e.data.clock for e in published(outbox, "timelimit.warning_raised.v1")} == {"restoration"}


async def test_manual_urge_and_supervision_are_published_and_kept_in_history(deps, outbox):
    tid = "370102-20261126-000001"
    await take_new_ticket(T, new_ticket(), deps=deps)
    await timing.urge(T, Urge(ticket_id=tid, reason="客户再次来电", actor="agent:u-37-0002"), deps=deps)
    raised = await timing.supervise(T, Supervise(ticket_id=tid, reason="重要投诉", actor="staff:s", actor_unit="37"), deps=deps)
    assert raised == "37"
    assert published(outbox, "ticket.urged.v1")[0].data.mode.value == "manual"
    (sup,) = published(outbox, "supervision.raised.v1")
    assert (sup.data.raised_at_unit, sup.data.by, sup.subject) == ("37", "staff:s", tid)
    order = await deps.orders.get(T, "370102-20261126-000001")
    assert [h.action for h in order.history][-2:] == ["urge", "supervise"]


async def test_failed_reply_audit_goes_back_with_reasons(deps, clock, outbox):
    tid = "370102-20261126-000001"
    await take_new_ticket(T, new_ticket(), deps=deps)
    for step in (AcceptByCrew, Arrive):
        await act(T, step(ticket_id=tid, actor="crew:a"), deps=deps)
    reply = {"kind": "repair", "cause": "树障", "fault_class": {"level1": "高压故障"}, "handler": "crew:a",
             "departed_at": local(2026, 11, 26, 9, 5), "arrived_at": local(2026, 11, 26, 9, 30),
             "restored_at": local(2026, 11, 26, 9, 20)}
    await act(T, Complete(ticket_id=tid, actor="crew:a", reply=reply), deps=deps)
    clock.advance(hours=2)
    order = await act(T, AuditReply(ticket_id=tid, actor="agent:a"), deps=deps)
    assert order.state.value == "on_site"
    (audited,) = published(outbox, "reply.audited.v1")
    assert not audited.data.passed and len(audited.data.reasons) == 2


async def test_handover_lists_exactly_the_open_orders_of_the_shift(deps, clock, outbox):
    for n, hour in ((1, 9), (2, 10), (3, 21)):
        await take_new_ticket(T, new_ticket(f"H{n}", accepted_at=local(2026, 11, 26, hour),
                                               first_contact_owner="agent:u-37-0009"), deps=deps)
    deps.orders.orders[(T, "H2")].state = deps.orders.orders[(T, "H2")].state.__class__("closed")
    clock.now = local(2026, 11, 26, 19, 50)
    record = await handovers.build("37", BuildHandover(leaving_shift="2026-11-26/day", arriving_shift="2026-11-26/night",
                                                       actor="agent:u-37-0021", scope=(T,)), deps=deps)
    assert [o["ticket_id"] for o in record["orders"]] == ["H1"]
    hid = record["handover_id"]
    await handovers.confirm("37", ConfirmHandover(handover_id=hid, side="leaving", actor="agent:u-37-0001"), deps=deps)
    with pytest.raises(AppError):
        await handovers.confirm("37", ConfirmHandover(handover_id=hid, side="arriving", actor="agent:u-37-0001"), deps=deps)
    assert published(outbox, "shift_handover.published.v1") == []
    done = await handovers.confirm("37", ConfirmHandover(
        handover_id=hid, side="arriving", actor="agent:u-37-0005", comments=("已催办H1",),
        checks=({"ticket_id": "H1", "note": "已电话核实"},)), deps=deps)
    (event,) = published(outbox, "shift_handover.published.v1")
    assert event.data.open_ticket_ids == ["H1"] and event.data.comments == ["已催办H1"]
    assert (event.tenant, event.subject) == ("37", hid)
    assert done["checks"][0]["ticket_id"] == "H1"


async def test_a_confirmation_that_raced_another_is_refused_and_publishes_nothing(deps, clock, outbox):
    clock.now = local(2026, 11, 26, 19, 50)
    record = await handovers.build("37", BuildHandover(leaving_shift="2026-11-26/day", arriving_shift="2026-11-26/night",
                                                       actor="agent:u-37-0021", scope=(T,)), deps=deps)
    hid = record["handover_id"]
    deps.handovers.records[("37", hid)]["leaving_confirmed_by"] = "agent:u-37-0001"  # confirmed after this caller read it
    real_get = deps.handovers.get

    async def stale_get(tenant, handover_id):
        seen = await real_get(tenant, handover_id)
        return seen | {"leaving_confirmed_by": None}

    deps.handovers.get = stale_get
    with pytest.raises(AppError) as raced:
        await handovers.confirm("37", ConfirmHandover(handover_id=hid, side="arriving", actor="agent:u-37-0005"), deps=deps)
    assert raced.value.code == "stale_handover" and outbox.published == []


def test_queue_depth_of_one_tenant_survives_the_scan_of_another():
    """Regression: scanning an empty tenant used to wipe every other tenant's queue depth."""
    from collections import Counter

    from prometheus_client import CollectorRegistry

    from dispatch.metrics import DispatchMetrics

    registry = CollectorRegistry()
    metrics = DispatchMetrics.create(registry)
    metrics.set_queue_depth("370102", Counter({("370102", "dispatched"): 3}))
    metrics.set_queue_depth("370202", Counter())
    depth = lambda t, u, s: registry.get_sample_value("hotline_queue_depth", {"tenant": t, "unit": u, "state": s})  # noqa: E731
    assert depth("370102", "370102", "dispatched") == 3
    metrics.set_queue_depth("370102", Counter({("370102", "accepted"): 1}))
    assert depth("370102", "370102", "dispatched") == 0
    assert depth("370102", "370102", "accepted") == 1
