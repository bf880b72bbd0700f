"""Kafka subscribers: every ticket lifecycle event analytics counts goes into its tenant's aggregates."""

from __future__ import annotations

from typing import Any

from analytics.commands import CountFact
from analytics.deps import Deps
from analytics.service import count_fact
from hotline_contracts import Envelope
from hotline_contracts.events.ticket import (
    TicketClosedV1,
    TicketCreatedV1,
    TicketLinkedToOutageV1,
    TicketReopenedV1,
    TicketRepeatContactV1,
)
from hotline_contracts.registry import spec_for_topic
from servicekit.kafka import subscribe
from servicekit.runtime import Runtime

TOPICS = (
    "ticket.created.v1",
    "ticket.closed.v1",
    "ticket.reopened.v1",
    "ticket.repeat_contact_attached.v1",
    "ticket.linked_to_outage.v1",
)

# What this service publishes: none of its own events, only deadletter.v1 (servicekit sends it for every consumer).
# A test fails when the package constructs an event that is not declared here.
PUBLISHES: tuple[str, ...] = ()


def fact_of(data: Any) -> CountFact:
    """The command for one ticket lifecycle event: what it says about the order, in analytics' terms."""
    if isinstance(data, TicketCreatedV1):
        return CountFact("created", data.ticket_id, data.accepted_at, business_type=str(data.business_type), channel=str(data.channel),
                         account_no=data.account_no, responsible_unit=data.responsible_unit, summary=data.summary)
    if isinstance(data, TicketClosedV1):
        return CountFact("closed", data.ticket_id, data.at, business_type=str(data.business_type), resolution=str(data.resolution),
                         within_time_limit=data.within_time_limit, first_contact_resolved=data.first_contact_resolved)
    if isinstance(data, TicketReopenedV1):
        return CountFact("reopened", data.ticket_id, data.at)
    if isinstance(data, TicketRepeatContactV1):
        return CountFact("repeat_contact", data.ticket_id, data.at)
    if isinstance(data, TicketLinkedToOutageV1):
        return CountFact("linked_to_outage", data.ticket_id, data.at)
    raise TypeError(f"not a ticket lifecycle event analytics counts: {type(data).__name__}")


def register(runtime: Runtime, deps: Deps, *, group_prefix: str = "analytics") -> None:
    """One consumer group per topic: tansu groups wedge more easily when members subscribe to different topics."""

    async def handle(envelope: Envelope[Any]) -> None:
        await count_fact(envelope.tenant, fact_of(envelope.data), deps=deps)

    consumer = runtime.consumer("analytics")
    for topic in TOPICS:
        subscribe(
            runtime.broker,
            consumer,
            spec_for_topic(topic),
            handle,
            group_id=f"{group_prefix}.{topic}",
        )
