"""Kafka consumers: outage events feed the active-outage projection, customer records the registry, closures free repeat keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from faststream.kafka import KafkaBroker

from hotline_contracts import Envelope
from hotline_contracts.registry import EventSpec, spec_for_topic
from intake.projection import apply_outage_event, upsert_customer
from intake.wiring import Intake
from servicekit.kafka import EventConsumer, Handler, subscribe

OUTAGE_TOPICS = ("outage.published.v1", "outage.updated.v1", "outage.started.v1", "outage.restored.v1", "outage.cancelled.v1")
GROUP = "intake"
# What the outbox relay publishes (besides deadletter.v1, which servicekit sends for every consumer); the
# AsyncAPI document lists these, and a test fails when the package constructs an event that is not here.
PUBLISHES = ("ticket.created.v1", "ticket.linked_to_outage.v1", "ticket.repeat_contact_attached.v1", "ticket.urged.v1",
             "ticket.closed.v1")


def register_consumers(broker: KafkaBroker, consumer: EventConsumer, intake: Intake, *, group_id: str = GROUP) -> None:
    """Subscribe every intake handler; each refuses what it cannot take to deadletter.v1 (via EventConsumer)."""
    routes: dict[str, tuple[EventSpec, Handler]] = {topic: (spec_for_topic(topic), _on_outage(intake)) for topic in OUTAGE_TOPICS}
    routes["customer.upserted.v1"] = (spec_for_topic("customer.upserted.v1"), _on_customer(intake))
    routes["ticket.closed.v1"] = (spec_for_topic("ticket.closed.v1"), _on_closed(intake))

    for spec, handler in routes.values():
        subscribe(broker, consumer, spec, handler, group_id=group_id)  # none is on a latency target: background polling


def _on_outage(intake: Intake) -> Callable[[Envelope[Any]], Any]:
    async def handle(envelope: Envelope[Any]) -> None:
        await apply_outage_event(envelope.tenant, envelope.data.event_name, envelope.data, projection=intake.extras["outage_projection"])
        intake.deps.outages.invalidate(envelope.tenant)

    return handle


def _on_customer(intake: Intake) -> Callable[[Envelope[Any]], Any]:
    async def handle(envelope: Envelope[Any]) -> None:
        # The record's own unit decides where it lives; the envelope's tenant must be that unit.
        await upsert_customer(envelope.data.unit_code, envelope.data, directory=intake.customers)

    return handle


def _on_closed(intake: Intake) -> Callable[[Envelope[Any]], Any]:
    async def handle(envelope: Envelope[Any]) -> None:
        closer = intake.extras.get("close_ticket")
        if closer is not None:
            await closer(envelope.tenant, envelope.data.ticket_id)

    return handle
