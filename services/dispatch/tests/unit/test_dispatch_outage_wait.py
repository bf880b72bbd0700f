"""Calls inside a known outage wait on it (等待停电恢复): no crew, no clock; its restoration closes them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch import handovers, timing
from dispatch.commands import BuildHandover, ScanTimeLimits, SettleOutage
from dispatch.domain.clocks import evaluate
from dispatch.outage_settlement import settle_outage, settle_stragglers
from dispatch.service import take_new_ticket
from dispatch_builders import local, new_ticket, published

pytestmark = pytest.mark.unit
T = "370102"
OUTAGE = "TD-370102-20261126-0001"


def restored(at, event_id="ev-restored-1", outage=OUTAGE):
    return SettleOutage(outage_id=outage, end="restored", at=at, actor="oms:e2e", event_id=event_id)


def of(outbox, topic: str, ticket_id: str) -> list:
    return [e for e in published(outbox, topic) if e.data.ticket_id == ticket_id]


async def test_a_linked_call_waits_on_its_outage_without_crew_or_dispatch(deps, outbox):
    order = await take_new_ticket(T, new_ticket("L1", outage_id=OUTAGE), deps=deps)
    assert order.state.value == "awaiting_outage" and order.crew_code is None
    assert published(outbox, "ticket.dispatched.v1") == [] and published(outbox, "crew.assigned.v1") == []
    [moved] = published(outbox, "ticket.state_changed.v1")
    assert (moved.data.from_state.value, moved.data.to_state.value) == ("accepted", "suspended")
    assert (await deps.orders.get(T, "L1")).owner_unit == "370102"  # routed, so a later release knows where to


async def test_waiting_orders_raise_no_warning_or_breach_while_an_ordinary_repair_breaches(deps, outbox, clock):
    for n in range(3):
        await take_new_ticket(T, new_ticket(f"L{n}", account_no=f"370102000{n}", outage_id=OUTAGE), deps=deps)
    await take_new_ticket(T, new_ticket("R1", account_no="3701029999"), deps=deps)
    clock.advance(hours=3)  # far past the 45-minute urban arrival limit
    result = await timing.scan_tenant(T, ScanTimeLimits(), deps=deps)
    warned = {e.data.ticket_id for e in published(outbox, "timelimit.warning_raised.v1")}
    breached = {e.data.ticket_id for e in published(outbox, "timelimit.breached.v1")}
    assert warned == breached == {"R1"} and result.breaches == 1
    assert {e.data.ticket_id for e in published(outbox, "supervision.raised.v1")} == {"R1"}


async def test_restoration_closes_every_order_waiting_on_it_once(deps, outbox, clock):
    for n in range(3):
        await take_new_ticket(T, new_ticket(f"L{n}", account_no=f"370102000{n}", outage_id=OUTAGE), deps=deps)
    await take_new_ticket(T, new_ticket("OTHER", account_no="3701020009", outage_id="TD-370102-20261126-0002"), deps=deps)
    clock.advance(hours=2)
    done = await settle_outage(T, restored(clock.now), deps=deps)
    assert sorted(done.closed) == ["L0", "L1", "L2"] and done.dispatched == []
    for n in range(3):
        order = await deps.orders.get(T, f"L{n}")
        assert order.state.value == "closed" and order.milestones["closed"] == clock.now
        [closed] = of(outbox, "ticket.closed.v1", f"L{n}")
        assert closed.data.resolution.value == "outage_restored" and closed.data.within_time_limit is True
    assert (await deps.orders.get(T, "OTHER")).state.value == "awaiting_outage"  # another outage's caller waits on
    again = await settle_outage(T, restored(clock.now), deps=deps)  # redelivery
    other_id = await settle_outage(T, restored(clock.now, event_id="ev-restored-again"), deps=deps)
    assert again.closed == other_id.closed == [] and len(published(outbox, "ticket.closed.v1")) == 3


async def test_a_call_after_the_restoration_is_dispatched_as_an_ordinary_repair(deps, outbox, clock):
    await settle_outage(T, restored(clock.now), deps=deps)
    clock.advance(minutes=10)
    order = await take_new_ticket(T, new_ticket("LATE", accepted_at=clock.now, outage_id=OUTAGE), deps=deps)
    assert order.state.value == "dispatched" and order.crew_code is not None
    assert of(outbox, "ticket.dispatched.v1", "LATE") and of(outbox, "crew.assigned.v1", "LATE")


async def test_a_call_accepted_before_the_restoration_but_heard_after_it_is_closed_by_the_next_scan(deps, outbox, clock):
    accepted = clock.now
    clock.advance(minutes=5)
    await settle_outage(T, restored(clock.now), deps=deps)
    order = await take_new_ticket(T, new_ticket("CROSSED", accepted_at=accepted, outage_id=OUTAGE), deps=deps)
    assert order.state.value == "awaiting_outage"
    done = await settle_stragglers(T, deps=deps)
    assert done.closed == ["CROSSED"] and (await deps.orders.get(T, "CROSSED")).state.value == "closed"
    assert (await settle_stragglers(T, deps=deps)).closed == []


async def test_cancellation_releases_waiting_orders_into_dispatch_with_clocks_from_the_release(deps, outbox, clock, clock_rules, calendar):
    await take_new_ticket(T, new_ticket("C1", outage_id=OUTAGE), deps=deps)
    clock.advance(hours=5)
    cancel = SettleOutage(outage_id=OUTAGE, end="cancelled", at=clock.now, actor="staff:x", reason="计划取消", event_id="ev-c")
    done = await settle_outage(T, cancel, deps=deps)
    order = await deps.orders.get(T, "C1")
    assert done.dispatched == ["C1"] and order.state.value == "dispatched" and order.crew_code is not None
    assert of(outbox, "ticket.dispatched.v1", "C1") and of(outbox, "crew.assigned.v1", "C1")
    clock.advance(minutes=9)
    [arrival] = [s for s in evaluate(order, clock_rules, calendar, clock.now) if s.clock == "arrival"]
    assert arrival.percent == pytest.approx(20.0)  # 9 of 45 minutes: the five hours waiting did not count


async def test_handover_sums_waiting_orders_per_outage_instead_of_listing_them(deps, clock):
    clock.now = local(2026, 11, 26, 10, 0)
    await take_new_ticket(T, new_ticket("W1", accepted_at=clock.now, outage_id=OUTAGE), deps=deps)
    await take_new_ticket(T, new_ticket("W2", account_no="3701020002", accepted_at=clock.now, outage_id=OUTAGE), deps=deps)
    await take_new_ticket(T, new_ticket("R1", account_no="3701020003", accepted_at=clock.now), deps=deps)
    clock.advance(hours=1)
    record = await handovers.build(T, BuildHandover(
        actor="agent:leader", leaving_shift="2026-11-26/day", arriving_shift="2026-11-26/night", agents=(),
        scope=(T,)), deps=deps)
    assert [o["ticket_id"] for o in record["orders"]] == ["R1"]
    assert record["awaiting_outage"] == {f"{T}/{OUTAGE}": 2}


def test_waiting_time_is_an_audited_pause_from_creation():
    from dispatch.domain.transitions import apply
    from dispatch_builders import make_order

    order = make_order(outage_id=OUTAGE)
    apply(order, "await_outage", actor="system:dispatch", at=order.created_at + timedelta(seconds=2))
    assert order.open_pause is not None and order.open_pause.reason_code == "awaiting_outage"
    assert order.open_pause.started_at == order.created_at
