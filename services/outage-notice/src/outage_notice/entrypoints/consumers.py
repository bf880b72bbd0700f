"""Kafka consumers: outage.reported.v1 from OMS and marketing systems, ticket.linked_to_outage.v1 from intake
(idempotent; refusals dead-lettered)."""

from __future__ import annotations

from typing import Any

from hotline_contracts import Envelope
from hotline_contracts.registry import spec_for_topic
from outage_notice import service
from outage_notice.commands import RecordLinkedCall, ReportOutage
from outage_notice.deps import Deps
from outage_notice.domain.outage import Scope
from outage_notice.linked_calls import record_linked_call
from servicekit.kafka import subscribe
from servicekit.runtime import Runtime

GROUP = "outage-notice"
# What this service publishes (besides deadletter.v1, which servicekit sends for every consumer); the
# AsyncAPI document lists these, and a test fails when the package constructs an event that is not here.
PUBLISHES = (
    "outage.published.v1", "outage.updated.v1", "outage.started.v1", "outage.restored.v1", "outage.cancelled.v1",
    "notification.sent.v1",
)


def register_consumers(runtime: Runtime, deps: Deps, *, group_id: str = GROUP) -> None:
    async def on_reported(envelope: Envelope[Any]) -> None:
        """A report the domain refuses (duplicate id, bad times) raises AppError and goes to the dead letters."""
        data = envelope.data
        cmd = ReportOutage(
            outage_id=data.outage_id, outage_type=data.outage_type.value, scope=Scope.from_dict(data.scope.model_dump()),
            planned_start=data.planned_start, planned_end=data.planned_end, cause=data.cause,
            reporting_unit=data.reporting_unit, reported_by=data.reported_by, reported_at=data.reported_at,
        )
        await service.report_outage(envelope.tenant, cmd, deps=deps)

    async def on_linked(envelope: Envelope[Any]) -> None:
        """A call intake linked to an outage: counted once per ticket, told of the restoration."""
        data = envelope.data
        cmd = RecordLinkedCall(outage_id=data.outage_id, ticket_id=data.ticket_id, account_no=data.account_no, at=data.at)
        await record_linked_call(envelope.tenant, cmd, deps=deps)

    consumer = runtime.consumer(GROUP)
    subscribe(runtime.broker, consumer, spec_for_topic("outage.reported.v1"), on_reported, group_id=group_id)
    subscribe(runtime.broker, consumer, spec_for_topic("ticket.linked_to_outage.v1"), on_linked, group_id=group_id)
