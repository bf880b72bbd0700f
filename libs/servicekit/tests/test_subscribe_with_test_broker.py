"""The shared subscription path, exercised with FastStream's TestKafkaBroker (no processes)."""

import pytest
from faststream.kafka import TestKafkaBroker

from hotline_contracts import make_event
from hotline_contracts.registry import spec_for_topic
from servicekit.kafka import EventConsumer, MemoryProcessedEvents, subscribe
from servicekit.runtime import Runtime
from servicekit.settings import ServiceSettings

pytestmark = pytest.mark.unit


async def test_subscribed_handler_gets_parsed_envelopes_once_and_refusals_are_dead_lettered(ticket_created):
    runtime = Runtime.build(ServiceSettings(service_name="sub-test", hosted_tenants=["370102"]))
    consumer = EventConsumer(
        settings=runtime.settings, metrics=runtime.metrics, dead_letters=runtime.dead_letters, processed=MemoryProcessedEvents()
    )
    seen = []

    async def handler(env):
        seen.append(env.data.ticket_id)

    spec = spec_for_topic("ticket.created.v1")
    subscribe(runtime.broker, consumer, spec, handler, group_id="sub-test")
    dead = []

    @runtime.broker.subscriber("deadletter.v1")
    async def on_dead(body: dict) -> None:
        dead.append(body["data"]["reason"])

    envelope = make_event(ticket_created, tenant="370102", source="/test")
    async with TestKafkaBroker(runtime.broker):
        await runtime.broker.publish(envelope.model_dump_json().encode(), topic="ticket.created.v1")
        await runtime.broker.publish(envelope.model_dump_json().encode(), topic="ticket.created.v1")
        await runtime.broker.publish(b"{}", topic="ticket.created.v1")
    assert seen == ["370102-20261126-000001"]
    assert dead == ["validation_failed"]


async def test_an_event_whose_handling_died_is_handled_again_on_redelivery(ticket_created):
    """A crash (here: an unexpected error) before the handling is stored must not mark the event as handled."""
    runtime = Runtime.build(ServiceSettings(service_name="sub-test", hosted_tenants=["370102"]))
    processed = MemoryProcessedEvents()
    consumer = EventConsumer(settings=runtime.settings, metrics=runtime.metrics, dead_letters=runtime.dead_letters,
                             processed=processed)
    attempts = []

    async def handler(env):
        attempts.append(env.id)
        if len(attempts) == 1:
            raise RuntimeError("process died before the order was stored")

    spec = spec_for_topic("ticket.created.v1")
    payload = make_event(ticket_created, tenant="370102", source="/test").model_dump_json().encode()
    with pytest.raises(RuntimeError):
        await consumer.consume(spec, payload, handler)
    assert processed.handled == set()
    assert await consumer.consume(spec, payload, handler) == "ok"
    assert await consumer.consume(spec, payload, handler) == "duplicate"
    assert len(attempts) == 2
