"""Use cases with the in-memory fakes: new ticket → dispatched with a crew; crew moves; scanner urges and supervises."""

from __future__ import annotations

import pytest

from dispatch import handovers, timing
from dispatch.service import Command, act, take_new_ticket
from dispatch_builders import created_event, local
from servicekit.errors import AppError

pytestmark = pytest.mark.unit
T = "370102"


async def test_new_repair_ticket_is_dispatched_to_the_least_busy_on_duty_crew(deps):
    first = await take_new_ticket(T, created_event("A"), deps=deps)
    second = await take_new_ticket(T, created_event("B"), deps=deps)
    assert (first.state.value, first.crew_code, second.crew_code) == ("dispatched", "370102-S01-C1", "370102-S01-C2")
    topics = [e.data.topic() for e in deps.publish.events[:3]]
    assert topics == ["ticket.state_changed.v1", "ticket.dispatched.v1", "crew.assigned.v1"]


async def test_outage_linked_ticket_gets_no_crew(deps):
    order = await take_new_ticket(T, created_event(outage_id="TD-370102-20261126-0001"), deps=deps)
    assert order.state.value == "dispatched" and order.crew_code is None
    assert deps.publish.of("crew.assigned.v1") == []


async def test_crew_actions_move_the_order_and_other_crews_are_refused(deps):
    await take_new_ticket(T, created_event(), deps=deps)
    tid = "370102-20261126-000001"
    with pytest.raises(AppError) as wrong:
        await act(T, tid, Command("accept", "crew:x", crew_code="370102-S01-C2"), deps=deps)
    assert wrong.value.code == "crew_mismatch"
    for action in ("accept", "depart", "arrive"):
        await act(T, tid, Command(action, "crew:a", crew_code="370102-S01-C1"), deps=deps)
    with pytest.raises(AppError) as refused:
        await act(T, tid, Command("close", "agent:a"), deps=deps)
    assert refused.value.status == 409 and "complete" in refused.value.message_en
    order = await deps.orders.get(T, tid)
    assert order.state.value == "on_site" and [h.action for h in order.history] == ["dispatch", "accept", "depart", "arrive"]


async def test_scanner_raises_each_warning_once_then_breach_with_supervision_at_parent(deps, clock):
    await take_new_ticket(T, created_event(), deps=deps)  # urban: 45 min to arrive
    per_scan = []
    for minutes in (10, 13, 11, 7, 1, 4, 10):  # 10, 23, 34, 41, 42, 46, 56 minutes after creation
        clock.advance(minutes=minutes)
        result = await timing.scan_tenant(T, deps=deps)
        per_scan.append((result.warnings, result.breaches))
    assert per_scan == [(0, 0), (1, 0), (1, 0), (1, 0), (0, 0), (1, 1), (0, 0)]
    assert [e.data.level for e in deps.publish.of("timelimit.warning_raised.v1")] == [1, 2, 3, 4]
    urges = deps.publish.of("ticket.urged.v1")
    assert [(u.data.mode.value, u.data.warning_level, u.data.to_unit) for u in urges] == [
        ("automatic", n, T) for n in (1, 2, 3, 4)]
    (breach,) = deps.publish.of("timelimit.breached.v1")
    assert breach.data.clock == "arrival" and breach.data.due_at == local(2026, 11, 26, 9, 45)
    (sup,) = deps.publish.of("supervision.raised.v1")
    assert (sup.tenant, sup.data.raised_at_unit, sup.data.target_unit) == (T, "3701", T)
    assert deps.metrics.breaches.labels(T, "arrival")._value.get() == 1


async def test_arrival_in_time_stops_the_clock_before_any_breach(deps, clock):
    await take_new_ticket(T, created_event(), deps=deps)
    for action in ("accept", "arrive"):
        await act(T, "370102-20261126-000001", Command(action, "crew:a"), deps=deps)
    clock.advance(hours=2)  # restoration (3 h from arrival) is now at about 67 %
    await timing.scan_tenant(T, deps=deps)
    assert deps.publish.of("timelimit.breached.v1") == []
    assert {e.data.clock for e in deps.publish.of("timelimit.warning_raised.v1")} == {"restoration"}


async def test_manual_urge_and_supervision_are_published_and_kept_in_history(deps):
    await take_new_ticket(T, created_event(), deps=deps)
    await timing.urge(T, "370102-20261126-000001", reason="客户再次来电", actor="agent:u-37-0002", deps=deps)
    raised = await timing.supervise(T, "370102-20261126-000001", reason="重要投诉", actor="staff:s", actor_unit="37", deps=deps)
    assert raised == "37"
    assert deps.publish.of("ticket.urged.v1")[0].data.mode.value == "manual"
    order = await deps.orders.get(T, "370102-20261126-000001")
    assert [h.action for h in order.history][-2:] == ["urge", "supervise"]


async def test_failed_reply_audit_goes_back_with_reasons(deps, clock):
    tid = "370102-20261126-000001"
    await take_new_ticket(T, created_event(), deps=deps)
    for action in ("accept", "arrive"):
        await act(T, tid, Command(action, "crew:a"), deps=deps)
    reply = {"kind": "repair", "cause": "树障", "fault_class": {"level1": "高压故障"}, "handler": "crew:a",
             "departed_at": local(2026, 11, 26, 9, 5), "arrived_at": local(2026, 11, 26, 9, 30),
             "restored_at": local(2026, 11, 26, 9, 20)}
    await act(T, tid, Command("complete", "crew:a", reply=reply), deps=deps)
    clock.advance(hours=2)
    order = await act(T, tid, Command("audit", "agent:a"), deps=deps)
    assert order.state.value == "on_site"
    (audited,) = deps.publish.of("reply.audited.v1")
    assert not audited.data.passed and len(audited.data.reasons) == 2


async def test_handover_lists_exactly_the_open_orders_of_the_shift(deps, clock):
    for n, hour in ((1, 9), (2, 10), (3, 21)):
        await take_new_ticket(T, created_event(f"H{n}", accepted_at=local(2026, 11, 26, hour),
                                               first_contact_owner="agent:u-37-0009"), deps=deps)
    deps.orders.orders[(T, "H2")].state = deps.orders.orders[(T, "H2")].state.__class__("closed")
    clock.now = local(2026, 11, 26, 19, 50)
    record = await handovers.build("37", leaving="2026-11-26/day", arriving="2026-11-26/night", agents=[],
                                   matters=None, actor="agent:u-37-0021", scope=[T], deps=deps)
    assert [o["ticket_id"] for o in record["orders"]] == ["H1"]
    await handovers.confirm("37", record["handover_id"], side="leaving", actor="agent:u-37-0001", comments=[], checks=[], deps=deps)
    with pytest.raises(AppError):
        await handovers.confirm("37", record["handover_id"], side="arriving", actor="agent:u-37-0001",
                                comments=[], checks=[], deps=deps)
    done = await handovers.confirm("37", record["handover_id"], side="arriving", actor="agent:u-37-0005",
                                   comments=["已催办H1"], checks=[{"ticket_id": "H1", "note": "已电话核实"}], deps=deps)
    (published,) = deps.publish.of("shift_handover.published.v1")
    assert published.data.open_ticket_ids == ["H1"] and published.data.comments == ["已催办H1"]
    assert done["checks"][0]["ticket_id"] == "H1"


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
