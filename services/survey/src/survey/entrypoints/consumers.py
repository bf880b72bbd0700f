"""Kafka subscriber: a reply 95598 passed (reply.audited.v1, passed) becomes a ScheduleVisit command.

Survey decides whether the order is visited; dispatch waits for that answer (return_visit.scheduled or
return_visit.skipped) before it closes the order, so a visit always comes before the close.
"""

from __future__ import annotations

from typing import Any

from hotline_contracts import Envelope
from hotline_contracts.registry import spec_for_topic
from servicekit.errors import AlreadyHandled, FieldError, invalid
from servicekit.kafka import subscribe
from servicekit.runtime import Runtime
from survey.commands import ScheduleVisit
from survey.deps import Deps
from survey.service import schedule_visit

TOPIC = "reply.audited.v1"
# What this service publishes (besides deadletter.v1, which servicekit sends for every consumer); the
# AsyncAPI document lists these, and a test fails when the package constructs an event that is not here.
PUBLISHES = ("return_visit.scheduled.v1", "return_visit.skipped.v1", "return_visit.completed.v1")


def to_command(envelope: Envelope[Any]) -> ScheduleVisit:
    """The command of a passed audit; one without the order's type or unit cannot be decided (dead-lettered)."""
    audited = envelope.data
    missing = [name for name in ("business_type", "responsible_unit") if getattr(audited, name) is None]
    if missing:
        raise invalid("回单审核事件缺少工单信息", "the audit event lacks the order's facts", fields=[
            FieldError(f"data.{name}", "回访需要此项", "a return visit needs this field") for name in missing])
    return ScheduleVisit(
        ticket_id=audited.ticket_id, business_type=str(audited.business_type), responsible_unit=audited.responsible_unit,
        answered_at=audited.at, source_event_id=envelope.id, correlation_id=envelope.correlation_id,
    )


def register(runtime: Runtime, deps: Deps, *, group_prefix: str = "survey") -> None:
    async def handle(envelope: Envelope[Any]) -> None:
        if not envelope.data.passed:
            return  # a failed audit goes back to the unit: nothing for survey until it passes
        if (await schedule_visit(envelope.tenant, to_command(envelope), deps=deps)).replayed:
            raise AlreadyHandled(envelope.id)

    subscribe(
        runtime.broker,
        # No claim records: the decision keeps the audit's event id, so a redelivery finds it (one write per event,
        # and no claim left behind by a process that stopped before storing the decision).
        runtime.consumer("survey", idempotent=False),
        spec_for_topic(TOPIC),
        handle,
        group_id=f"{group_prefix}.{TOPIC}",
    )
