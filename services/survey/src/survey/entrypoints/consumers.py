"""Kafka subscriber: a closed order (ticket.closed.v1) becomes a ScheduleVisit command."""

from __future__ import annotations

from typing import Any

from hotline_contracts import Envelope
from hotline_contracts.registry import spec_for_topic
from servicekit.errors import AlreadyHandled
from servicekit.kafka import subscribe
from servicekit.runtime import Runtime
from survey.commands import ScheduleVisit
from survey.deps import Deps
from survey.service import schedule_visit

TOPIC = "ticket.closed.v1"
# What this service publishes (besides deadletter.v1, which servicekit sends for every consumer); the
# AsyncAPI document lists these, and a test fails when the package constructs an event that is not here.
PUBLISHES = ("return_visit.scheduled.v1", "return_visit.completed.v1")


def register(runtime: Runtime, deps: Deps, *, group_prefix: str = "survey") -> None:
    async def handle(envelope: Envelope[Any]) -> None:
        closed = envelope.data
        cmd = ScheduleVisit(
            ticket_id=closed.ticket_id, business_type=str(closed.business_type), responsible_unit=closed.responsible_unit,
            closed_at=closed.at, source_event_id=envelope.id, correlation_id=envelope.correlation_id,
        )
        if (await schedule_visit(envelope.tenant, cmd, deps=deps)).replayed:
            raise AlreadyHandled(envelope.id)

    subscribe(
        runtime.broker,
        # No claim records: the visit keeps the closure's event id, so a redelivery finds it (one write per event,
        # and no claim left behind by a process that stopped before storing the visit).
        runtime.consumer("survey", idempotent=False),
        spec_for_topic(TOPIC),
        handle,
        group_id=f"{group_prefix}.{TOPIC}",
    )
