"""班组事件顺序与归属: crew reports read out of order end in lifecycle order; foreign crews are refused."""

from __future__ import annotations

import pytest

from dispatch.commands import AcceptByCrew, Arrive, Complete, CrewStep, Depart
from dispatch.crew_reports import Delivery, expire_held, release_held, report_crew_step
from dispatch.domain.crew_sequence import Verdict, verdict
from dispatch.service import act, take_new_ticket
from dispatch_builders import local, make_order, new_ticket, published
from servicekit.errors import AppError

pytestmark = pytest.mark.unit
T = "370102"
TID = "370102-20261126-000001"
CREW = "370102-S01-C1"  # the first ticket's crew (least busy on duty)
REPLY = {"kind": "repair", "cause": "树障", "fault_class": {"level1": "低压故障"}, "handler": "crew:a",
         "departed_at": "2026-11-26T09:10:00+08:00", "arrived_at": "2026-11-26T09:30:00+08:00",
         "restored_at": "2026-11-26T09:50:00+08:00"}


def reports(crew: str = CREW) -> dict[str, CrewStep]:
    """The four reports a crew's app syncs, each stamped when it happened in the field."""
    return {
        "accept": AcceptByCrew(ticket_id=TID, actor="crew:a", crew_code=crew, at=local(2026, 11, 26, 9, 5)),
        "depart": Depart(ticket_id=TID, actor="crew:a", crew_code=crew, at=local(2026, 11, 26, 9, 10)),
        "arrive": Arrive(ticket_id=TID, actor="crew:a", crew_code=crew, at=local(2026, 11, 26, 9, 30)),
        "complete": Complete(ticket_id=TID, actor="crew:a", crew_code=crew, at=local(2026, 11, 26, 9, 55), reply=REPLY),
    }


async def deliver(deps, cmd: CrewStep, n: int) -> Verdict:
    return await report_crew_step(T, cmd, Delivery(f"ev-{n}", f"{cmd.action}.topic", "{}"), deps=deps)


def test_verdicts_follow_the_lifecycle():
    dispatched = make_order(state="dispatched")
    assert [verdict(dispatched, a) for a in ("accept", "depart", "arrive", "complete")] == [
        Verdict.APPLY, Verdict.HOLD, Verdict.HOLD, Verdict.HOLD]
    repaired = make_order(state="repaired", milestones={"accepted": local(2026, 11, 26, 9), "on_site": local(2026, 11, 26, 9),
                                                        "repaired": local(2026, 11, 26, 9)})
    assert verdict(repaired, "depart") is Verdict.LATE and verdict(repaired, "complete") is Verdict.REFUSE
    assert verdict(make_order(state="suspended"), "complete") is Verdict.REFUSE  # its predecessor cannot come now


IN_ORDER = ["dispatch", "accept", "depart", "arrive", "complete"]
# A departure is optional, so an arrival does not wait for it: read after the completion it is recorded late.
DEPARTED_LATE = ["dispatch", "accept", "arrive", "complete", "depart"]


@pytest.mark.parametrize(("order_read", "history"), [
    (("complete", "arrive", "depart", "accept"), IN_ORDER), (("depart", "complete", "accept", "arrive"), IN_ORDER),
    (("arrive", "complete", "accept", "depart"), DEPARTED_LATE)])
async def test_reports_read_in_any_order_end_repaired_with_every_milestone_in_lifecycle_order(deps, outbox, order_read, history):
    await take_new_ticket(T, new_ticket(), deps=deps)
    steps = reports()
    for n, action in enumerate(order_read):
        await deliver(deps, steps[action], n)
    order = await deps.orders.get(T, TID)
    assert order.state.value == "repaired" and order.crew_code == CREW
    assert {k: order.milestones[k] for k in ("accepted", "departed", "on_site", "repaired")} == {
        "accepted": local(2026, 11, 26, 9, 5), "departed": local(2026, 11, 26, 9, 10),
        "on_site": local(2026, 11, 26, 9, 30), "repaired": local(2026, 11, 26, 9, 55)}
    assert [h.action for h in order.history] == history
    moves = [(e.data.from_state.value, e.data.to_state.value) for e in published(outbox, "ticket.state_changed.v1")]
    assert moves == [("accepted", "dispatched"), ("dispatched", "assigned"), ("assigned", "in_progress"), ("in_progress", "replied")]
    assert await deps.held.for_order(T, TID) == []


async def test_a_held_report_survives_in_the_store_and_applies_when_its_predecessor_comes(deps):
    await take_new_ticket(T, new_ticket(), deps=deps)
    assert await deliver(deps, reports()["complete"], 1) is Verdict.HOLD
    assert (await deps.orders.get(T, TID)).state.value == "dispatched"
    (held,) = await deps.held.for_order(T, TID)
    assert (held.action, held.event_id) == ("complete", "ev-1")
    assert await deliver(deps, reports()["complete"], 1) is Verdict.HOLD  # a redelivery is held once
    assert len(await deps.held.for_order(T, TID)) == 1
    await act(T, reports()["accept"], deps=deps)  # the acceptance through the crew app's HTTP call
    await act(T, reports()["arrive"], deps=deps)
    assert await release_held(T, TID, deps=deps) == 1
    assert (await deps.orders.get(T, TID)).state.value == "repaired"


async def test_an_overdue_report_whose_predecessor_never_came_is_handed_back_with_the_reason(deps, clock):
    await take_new_ticket(T, new_ticket(), deps=deps)
    await deliver(deps, reports()["complete"], 1)
    clock.advance(seconds=deps.crew_hold_seconds - 1)
    assert await expire_held(T, deps=deps) == []  # not overdue yet
    clock.advance(seconds=2)
    ((report, why),) = await expire_held(T, deps=deps)
    assert report.event_id == "ev-1" and "state dispatched" in why
    assert (await deps.orders.get(T, TID)).state.value == "dispatched"


async def test_an_arrival_without_acceptance_waits_then_implies_it(deps, clock):
    await take_new_ticket(T, new_ticket(), deps=deps)
    assert await deliver(deps, reports()["arrive"], 1) is Verdict.HOLD
    await deliver(deps, reports()["complete"], 2)
    clock.advance(seconds=deps.crew_hold_seconds + 1)
    assert await expire_held(T, deps=deps) == []
    order = await deps.orders.get(T, TID)
    assert order.state.value == "repaired" and [h.action for h in order.history][-2:] == ["arrive", "complete"]


async def test_a_departure_read_after_completion_is_recorded_without_moving_the_order(deps):
    await take_new_ticket(T, new_ticket(), deps=deps)
    for n, action in enumerate(("accept", "arrive", "complete")):
        await deliver(deps, reports()[action], n)
    assert await deliver(deps, reports()["depart"], 9) is Verdict.LATE
    order = await deps.orders.get(T, TID)
    assert order.state.value == "repaired" and order.milestones["departed"] == local(2026, 11, 26, 9, 10)


async def test_a_crew_of_another_unit_is_refused_on_an_order_without_crew(deps):
    await take_new_ticket(T, new_ticket(station_code="370102-S09"), deps=deps)  # no crew on duty there
    assert (await deps.orders.get(T, TID)).crew_code is None
    foreign = reports(crew="370124-S01-C1")
    with pytest.raises(AppError) as refused:
        await deliver(deps, foreign["accept"], 1)
    assert (refused.value.code, refused.value.status) == ("crew_not_of_unit", 409)
    assert refused.value.fields[0].loc == "crew_code" and "370102" in refused.value.message_zh
    with pytest.raises(AppError):  # the crew app's HTTP call is refused alike
        await act(T, foreign["accept"], deps=deps)
    with pytest.raises(AppError):  # and an early report of that crew is refused, not held
        await deliver(deps, foreign["complete"], 2)
    assert await deps.held.for_order(T, TID) == []
    own = reports(crew="370102-S01-C2")
    await deliver(deps, own["accept"], 3)
    assert (await deps.orders.get(T, TID)).crew_code == "370102-S01-C2"


async def test_another_crew_than_the_assigned_one_is_refused(deps):
    await take_new_ticket(T, new_ticket(), deps=deps)
    with pytest.raises(AppError) as refused:
        await deliver(deps, reports(crew="370102-S01-C2")["arrive"], 1)
    assert refused.value.code == "crew_mismatch"


async def test_a_report_for_an_unknown_order_is_refused(deps):
    with pytest.raises(AppError) as refused:
        await deliver(deps, reports()["accept"], 1)
    assert refused.value.code == "unknown_order"


async def test_held_reports_are_retried_in_lifecycle_order_whatever_their_arrival(deps, clock):
    await take_new_ticket(T, new_ticket(), deps=deps)
    for n, action in enumerate(("complete", "arrive", "depart")):
        await deliver(deps, reports()[action], n)
        clock.advance(seconds=1)
    assert sorted(r.action for r in await deps.held.for_order(T, TID)) == ["arrive", "complete", "depart"]
    await deliver(deps, reports()["accept"], 7)
    order = await deps.orders.get(T, TID)
    assert order.state.value == "repaired" and [h.action for h in order.history] == IN_ORDER


async def test_the_sweep_dead_letters_an_overdue_report_with_its_reason_and_forgets_it(deps, clock):
    from types import SimpleNamespace

    from dispatch.crew_hold_sweeper import REASON, sweep_tenant

    sent: list[dict] = []

    class DeadLetters:
        async def send(self, **record):
            sent.append(record)

    await take_new_ticket(T, new_ticket(), deps=deps)
    await deliver(deps, reports()["complete"], 1)
    clock.advance(seconds=deps.crew_hold_seconds + 1)
    assert await sweep_tenant(SimpleNamespace(dead_letters=DeadLetters()), T, deps) == 1
    (record,) = sent
    assert (record["reason"], record["topic"], record["tenant"]) == (REASON, "complete.topic", T)
    assert "前序班组事件" in record["errors"][0]["msg"] and "never became applicable" in record["errors"][0]["msg"]
    assert await deps.held.for_order(T, TID) == []
