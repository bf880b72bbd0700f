"""Kafka consumers: new tickets from intake; crew and reply events from field apps and the OMS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dispatch.deps import Deps
from dispatch.service import Command, act, take_new_ticket
from hotline_contracts.registry import spec_for_topic
from servicekit.kafka import subscribe
from servicekit.runtime import Runtime


def _crew_step(action: str) -> Callable[[Any], Command]:
    def command(data: Any) -> Command:
        return Command(action, data.handler, at=data.at, crew_code=data.crew_code)

    return command


def _completed(data: Any) -> Command:
    reply = {"kind": "repair"} | data.model_dump(mode="json", exclude={"ticket_id", "at"})
    return Command("complete", data.handler, at=data.at, crew_code=data.crew_code, reply=reply)


def _replied(data: Any) -> Command:
    reply = {"kind": "reply"} | data.model_dump(mode="json", exclude={"ticket_id", "at"})
    return Command("reply", data.by, at=data.at, reply=reply)


# What this service publishes (besides deadletter.v1, which servicekit sends for every consumer); the
# AsyncAPI document lists these, and a test fails when the package constructs an event that is not here.
PUBLISHES = (
    "ticket.state_changed.v1", "ticket.dispatched.v1", "crew.assigned.v1", "ticket.transferred.v1", "ticket.returned.v1",
    "reply.audited.v1", "ticket.closed.v1", "ticket.reopened.v1", "timelimit.warning_raised.v1", "timelimit.breached.v1",
    "ticket.urged.v1", "supervision.raised.v1", "shift_handover.published.v1",
)
NEW_TICKETS_IN_FLIGHT = 64

COMMANDS: dict[str, Callable[[Any], Command]] = {
    "crew.accepted.v1": _crew_step("accept"),
    "crew.departed.v1": _crew_step("depart"),
    "crew.arrived.v1": _crew_step("arrive"),
    "repair.completed.v1": _completed,
    "reply.submitted.v1": _replied,
}


def register(runtime: Runtime, deps: Deps, *, group_id: str = "dispatch") -> None:
    """Subscribe every consumer; unknown orders and illegal moves raise AppError and are dead-lettered."""

    async def on_created(envelope: Any) -> None:
        await take_new_ticket(envelope.tenant, envelope.data, deps=deps, published_at=envelope.time, event_id=envelope.id)

    # TicketCreated → decision has a p99 target. The stored order is this event's idempotency record (its
    # ticket id is unique), so no claim is written first: one write per new ticket, not two. New tickets are
    # independent of one another, so up to NEW_TICKETS_IN_FLIGHT are handled at once while the next are
    # fetched, and the orders that meet in flight share one insert (group commit).
    subscribe(runtime.broker, runtime.consumer(idempotent=False), spec_for_topic("ticket.created.v1"), on_created,
              group_id=group_id, urgent=True, concurrency=NEW_TICKETS_IN_FLIGHT)
    steps = runtime.consumer("dispatch")
    for topic, to_command in COMMANDS.items():
        subscribe(runtime.broker, steps, spec_for_topic(topic), _handler(to_command, deps), group_id=group_id)


def _handler(to_command: Callable[[Any], Command], deps: Deps):
    async def handle(envelope: Any) -> None:
        await act(envelope.tenant, envelope.data.ticket_id, to_command(envelope.data), deps=deps)

    return handle
