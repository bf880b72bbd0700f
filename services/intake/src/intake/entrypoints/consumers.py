"""Kafka consumers: outage events feed the active-outage projection, customer records the registry; closures free
repeat keys and reopenings take them back (intake learns whether an order is open only from these events)."""

from __future__ import annotations

from typing import Any

from faststream.kafka import KafkaBroker

from hotline_contracts import Envelope
from hotline_contracts.registry import EventSpec, spec_for_topic
from intake.commands import CloseTicket, ReopenTicket
from intake.deps import Deps
from intake.entrypoints.translate import outage_command, upsert_command
from intake.projection import apply_outage, upsert_customer
from intake.service import close_ticket, reopen_ticket
from servicekit.kafka import EventConsumer, Handler, subscribe

OUTAGE_TOPICS = ("outage.published.v1", "outage.updated.v1", "outage.started.v1", "outage.restored.v1", "outage.cancelled.v1")
GROUP = "intake"
# What the outbox relay publishes (besides deadletter.v1, which servicekit sends for every consumer); the
# AsyncAPI document lists these, and a test fails when the package constructs an event that is not here.
PUBLISHES = ("ticket.created.v1", "ticket.linked_to_outage.v1", "ticket.repeat_contact_attached.v1", "ticket.urged.v1",
             "ticket.closed.v1")


def register_consumers(broker: KafkaBroker, consumer: EventConsumer, deps: Deps, *, group_id: str = GROUP) -> None:
    """Subscribe every intake handler; each refuses what it cannot take to deadletter.v1 (via EventConsumer)."""
    routes: dict[str, tuple[EventSpec, Handler]] = {topic: (spec_for_topic(topic), _on_outage(deps)) for topic in OUTAGE_TOPICS}
    routes["customer.upserted.v1"] = (spec_for_topic("customer.upserted.v1"), _on_customer(deps))
    routes["ticket.closed.v1"] = (spec_for_topic("ticket.closed.v1"), _on_closed(deps))
    routes["ticket.reopened.v1"] = (spec_for_topic("ticket.reopened.v1"), _on_reopened(deps))

    for spec, handler in routes.values():
        subscribe(broker, consumer, spec, handler, group_id=group_id)  # none is on a latency target: background polling


def _on_outage(deps: Deps) -> Handler:
    async def handle(envelope: Envelope[Any]) -> None:
        await apply_outage(envelope.tenant, outage_command(envelope.tenant, envelope.data), deps=deps)

    return handle


def _on_customer(deps: Deps) -> Handler:
    async def handle(envelope: Envelope[Any]) -> None:
        # The record's own unit decides where it lives; the envelope's tenant must be that unit.
        tenant, cmd = upsert_command(envelope.data)
        await upsert_customer(tenant, cmd, deps=deps)

    return handle


def _on_closed(deps: Deps) -> Handler:
    async def handle(envelope: Envelope[Any]) -> None:
        await close_ticket(envelope.tenant, CloseTicket(envelope.data.ticket_id, envelope.data.at), deps=deps)

    return handle


def _on_reopened(deps: Deps) -> Handler:
    async def handle(envelope: Envelope[Any]) -> None:
        await reopen_ticket(envelope.tenant, ReopenTicket(envelope.data.ticket_id, envelope.data.at), deps=deps)

    return handle
