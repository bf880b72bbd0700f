"""Kafka subscriber: a closed order (ticket.closed.v1) gets its return visit scheduled."""

from __future__ import annotations

from typing import Any

from hotline_contracts import Envelope
from hotline_contracts.registry import spec_for_topic
from servicekit.kafka import subscribe
from servicekit.runtime import Runtime
from survey.deps import SurveyDeps
from survey.service import schedule_visit

TOPIC = "ticket.closed.v1"
# What this service publishes (besides deadletter.v1, which servicekit sends for every consumer); the
# AsyncAPI document lists these, and a test fails when the package constructs an event that is not here.
PUBLISHES = ("return_visit.scheduled.v1", "return_visit.completed.v1")


def register(runtime: Runtime, deps: SurveyDeps, *, group_prefix: str = "survey") -> None:
    async def handle(envelope: Envelope[Any]) -> None:
        await schedule_visit(envelope, repo=deps.visits, rules=deps.rules, publish=deps.publish, is_workday=deps.is_workday)

    subscribe(
        runtime.broker,
        runtime.consumer("survey"),
        spec_for_topic(TOPIC),
        handle,
        group_id=f"{group_prefix}.{TOPIC}",
    )
