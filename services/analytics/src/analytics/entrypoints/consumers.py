"""Kafka subscribers: every ticket lifecycle event analytics counts goes into its tenant's aggregates."""

from __future__ import annotations

from typing import Any

from analytics.ports import AggregateStore
from analytics.service import record_event
from hotline_contracts import Envelope
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


def register(runtime: Runtime, store: AggregateStore, *, group_prefix: str = "analytics") -> None:
    """One consumer group per topic: tansu groups wedge more easily when members subscribe to different topics."""

    async def handle(envelope: Envelope[Any]) -> None:
        await record_event(envelope.tenant, envelope.data, store=store)

    consumer = runtime.consumer("analytics")
    for topic in TOPICS:
        subscribe(
            runtime.broker,
            consumer,
            spec_for_topic(topic),
            handle,
            group_id=f"{group_prefix}.{topic}",
        )
