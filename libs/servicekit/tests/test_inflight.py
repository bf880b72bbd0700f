"""Background handling of a topic (subscribe(concurrency=...)): no head-of-line waits, bounded, drained at stop."""

import asyncio

import pytest
from faststream.kafka import TestKafkaBroker

from hotline_contracts import make_event
from hotline_contracts.registry import spec_for_topic
from servicekit.errors import AlreadyHandled
from servicekit.inflight import InFlight
from servicekit.kafka import subscribe
from servicekit.runtime import Runtime
from servicekit.settings import ServiceSettings

pytestmark = pytest.mark.unit


def counted(runtime: Runtime, result: str) -> float:
    sample = {"service": "bg-test", "topic": "ticket.created.v1", "result": result}
    return runtime.metrics.registry.get_sample_value("hotline_events_consumed_total", sample) or 0.0


async def test_a_slow_ticket_does_not_hold_up_the_next_and_a_redelivery_counts_as_duplicate(ticket_created):
    runtime = Runtime.build(ServiceSettings(service_name="bg-test", hosted_tenants=["370102"]))
    consumer = runtime.consumer(idempotent=False)
    release_first, handled = asyncio.Event(), []

    async def handler(env):
        if env.data.ticket_id in handled:
            raise AlreadyHandled(env.id)  # what a handler whose natural key is taken reports
        if env.data.ticket_id.endswith("000001"):
            await release_first.wait()  # the first ticket is stuck in a slow round trip
        handled.append(env.data.ticket_id)

    subscribe(runtime.broker, consumer, spec_for_topic("ticket.created.v1"), handler, group_id="bg", concurrency=4)
    first = make_event(ticket_created, tenant="370102", source="/test")
    second = make_event(ticket_created.model_copy(update={"ticket_id": "370102-20261126-000002"}), tenant="370102", source="/test")
    async with TestKafkaBroker(runtime.broker):
        await runtime.broker.publish(first.model_dump_json().encode(), topic="ticket.created.v1")
        await runtime.broker.publish(second.model_dump_json().encode(), topic="ticket.created.v1")
        for _ in range(100):
            if handled:
                break
            await asyncio.sleep(0.01)
        assert handled == ["370102-20261126-000002"] and len(consumer.in_flight) == 1
        release_first.set()
        await runtime.broker.publish(second.model_dump_json().encode(), topic="ticket.created.v1")  # redelivered
        assert await consumer.in_flight.drain(timeout=2) == 0
    assert sorted(handled) == ["370102-20261126-000001", "370102-20261126-000002"]
    assert counted(runtime, "duplicate") == 1 and counted(runtime, "ok") == 2
    assert counted(runtime, "dead_lettered") == 0


async def test_no_more_than_the_bound_run_at_once():
    in_flight, slots, running, peak, gate = InFlight(), asyncio.Semaphore(2), [0], [0], asyncio.Event()

    async def work():
        running[0] += 1
        peak[0] = max(peak[0], running[0])
        await gate.wait()
        running[0] -= 1

    await in_flight.start(work(), slots)
    await in_flight.start(work(), slots)
    third = asyncio.create_task(in_flight.start(work(), slots))
    await asyncio.sleep(0.05)
    assert not third.done() and len(in_flight) == 2  # the fetch loop waits: backpressure, not a growing queue
    gate.set()
    await third
    assert await in_flight.drain(timeout=1) == 0 and peak[0] == 2 and len(in_flight) == 0


async def test_drain_waits_for_work_in_progress_and_cancels_what_outlives_the_timeout():
    in_flight, slots, finished = InFlight(), asyncio.Semaphore(4), []

    async def work(seconds: float, name: str):
        await asyncio.sleep(seconds)
        finished.append(name)

    await in_flight.start(work(0.05, "quick"), slots)
    await in_flight.start(work(30, "stuck"), slots)
    assert await in_flight.drain(timeout=0.5) == 1
    assert finished == ["quick"]
