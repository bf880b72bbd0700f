"""Kafka consumers: outage.reported.v1 from OMS and marketing systems (idempotent; refusals dead-lettered)."""

from __future__ import annotations

from typing import Any

from hotline_contracts import Envelope
from hotline_contracts.registry import spec_for_topic
from outage_notice import service
from outage_notice.commands import ReportOutage
from outage_notice.deps import Deps
from outage_notice.domain.outage import Scope
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

    subscribe(
        runtime.broker, runtime.consumer(GROUP), spec_for_topic("outage.reported.v1"), on_reported,
        group_id=group_id,
    )
