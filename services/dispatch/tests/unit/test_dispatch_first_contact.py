"""首问办结: a ticket intake closed at first contact never becomes open work in dispatch."""

from __future__ import annotations

import pytest

from dispatch import handovers, timing
from dispatch.commands import BuildHandover, ScanTimeLimits
from dispatch.entrypoints import consumers
from dispatch.service import take_new_ticket
from dispatch_builders import created_event, local, new_ticket
from hotline_contracts import make_event

pytestmark = pytest.mark.unit
T = "370102"
CONSULTATION = dict(business_type="consultation", sub_type=None, account_no=None, station_code=None, summary="咨询电价")


def test_the_created_event_says_closed_at_first_contact_and_the_command_carries_it():
    data = created_event("C1", **CONSULTATION, first_contact_resolved=True)
    cmd = consumers.new_ticket(make_event(data, tenant=T, source="/hotline/intake", subject="C1"))
    assert cmd.first_contact_resolved
    assert not consumers.new_ticket(make_event(created_event("C2"), tenant=T, source="/hotline/intake")).first_contact_resolved


async def test_a_first_contact_closure_is_not_routed_queued_listed_or_handed_over(deps, clock, outbox):
    closed = new_ticket("C1", **CONSULTATION, first_contact_resolved=True, accepted_at=local(2026, 11, 26, 10))
    still_open = new_ticket("C2", **CONSULTATION, accepted_at=local(2026, 11, 26, 10))
    assert await take_new_ticket(T, closed, deps=deps) is None
    assert (await take_new_ticket(T, still_open, deps=deps)).state.value == "dispatched"

    assert await deps.orders.get(T, "C1") is None
    assert {e.subject for e in outbox.published} == {"C2"}  # nothing routed or dispatched for C1
    assert [o.ticket_id for o in await deps.orders.list_open(T)] == ["C2"]
    await timing.scan_tenant(T, ScanTimeLimits(), deps=deps)
    depth = {labels: v for labels, v in _samples(deps.metrics.queue_depth)}
    assert sum(depth.values()) == 1  # the queue holds C2 only
    clock.now = local(2026, 11, 26, 19, 50)
    record = await handovers.build("37", BuildHandover(leaving_shift="2026-11-26/day", arriving_shift="2026-11-26/night",
                                                       actor="agent:u-37-0021", scope=(T,)), deps=deps)
    assert [o["ticket_id"] for o in record["orders"]] == ["C2"]


def _samples(gauge):
    for metric in gauge.collect():
        for sample in metric.samples:
            yield tuple(sorted(sample.labels.items())), sample.value
