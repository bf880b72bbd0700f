"""Kafka consumers: new tickets from intake; crew and reply events from field apps and the OMS.

Each handler translates the event into a command (`dispatch.commands`) and calls the use case with
the envelope's tenant; nothing here publishes (the use cases' events leave through the outbox).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dispatch.commands import AcceptByCrew, Arrive, Complete, CrewStep, Depart, OrderAction, Reply, TakeNewTicket
from dispatch.crew_reports import Delivery, report_crew_step
from dispatch.deps import Deps
from dispatch.entrypoints import loop_consumers
from dispatch.entrypoints.outage_consumers import register_outage_consumers
from dispatch.service import act, take_new_ticket
from hotline_contracts.events.ticket import TicketCreatedV1
from hotline_contracts.registry import spec_for_topic
from servicekit.kafka import subscribe
from servicekit.runtime import Runtime


def new_ticket(envelope: Any) -> TakeNewTicket:
    """The command of a ticket.created.v1: its facts, the event id (idempotency) and when it was published."""
    data: TicketCreatedV1 = envelope.data
    return TakeNewTicket(
        ticket_id=data.ticket_id, business_type=data.business_type.value, sub_type=data.sub_type, channel=data.channel.value,
        referred_from=data.referred_from.value if data.referred_from else None, account_no=data.account_no, area_class=data.area_class.value if data.area_class else None, important=data.important,
        urgency=data.urgency.value, responsible_unit=data.responsible_unit, station_code=data.station_code,
        outage_id=data.outage_id, first_contact_owner=data.first_contact_owner, accepted_at=data.accepted_at,
        summary=data.summary, event_id=envelope.id, published_at=envelope.time, first_contact_resolved=data.first_contact_resolved,
    )


def _crew_step(step: type[CrewStep]) -> Callable[[Any], OrderAction]:
    def command(data: Any) -> OrderAction:
        return step(ticket_id=data.ticket_id, actor=data.handler, at=data.at, crew_code=data.crew_code)

    return command


def _completed(data: Any) -> OrderAction:
    reply = {"kind": "repair"} | data.model_dump(mode="json", exclude={"ticket_id", "at"})
    return Complete(ticket_id=data.ticket_id, actor=data.handler, at=data.at, crew_code=data.crew_code, reply=reply)


def _replied(data: Any) -> OrderAction:
    reply = {"kind": "reply"} | data.model_dump(mode="json", exclude={"ticket_id", "at"})
    return Reply(ticket_id=data.ticket_id, actor=data.by, at=data.at, reply=reply)


# What this service publishes (besides deadletter.v1, which servicekit sends for every consumer); the
# AsyncAPI document lists these, and a test fails when the package constructs an event that is not here.
PUBLISHES = (
    "ticket.state_changed.v1", "ticket.dispatched.v1", "crew.assigned.v1", "ticket.transferred.v1", "ticket.returned.v1",
    "reply.audited.v1", "ticket.closed.v1", "ticket.reopened.v1", "timelimit.warning_raised.v1", "timelimit.breached.v1",
    "ticket.urged.v1", "supervision.raised.v1", "shift_handover.published.v1",
)
NEW_TICKETS_IN_FLIGHT = 64
# Crew reports, applied per order in lifecycle order whatever order they are read in.
CREW_TOPICS = ("crew.accepted.v1", "crew.departed.v1", "crew.arrived.v1", "repair.completed.v1")

COMMANDS: dict[str, Callable[[Any], OrderAction]] = {
    "crew.accepted.v1": _crew_step(AcceptByCrew),
    "crew.departed.v1": _crew_step(Depart),
    "crew.arrived.v1": _crew_step(Arrive),
    "repair.completed.v1": _completed,
    "reply.submitted.v1": _replied,
}


def register(runtime: Runtime, deps: Deps, *, group_id: str = "dispatch") -> None:
    """Subscribe every consumer; unknown orders and illegal moves raise AppError and are dead-lettered."""

    async def on_created(envelope: Any) -> None:
        await take_new_ticket(envelope.tenant, new_ticket(envelope), deps=deps)

    # TicketCreated → decision has a p99 target. The stored order is this event's idempotency record (its
    # ticket id is unique), so no claim is written first: one write per new ticket, not two. New tickets are
    # independent of one another, so up to NEW_TICKETS_IN_FLIGHT are handled at once while the next are
    # fetched, and the orders that meet in flight share one insert (group commit).
    subscribe(runtime.broker, runtime.consumer(idempotent=False), spec_for_topic("ticket.created.v1"), on_created,
              group_id=group_id, urgent=True, concurrency=NEW_TICKETS_IN_FLIGHT)
    steps = runtime.consumer("dispatch")
    for topic, to_command in COMMANDS.items():
        handler = _crew_handler(to_command, topic, deps) if topic in CREW_TOPICS else _handler(to_command, deps)
        subscribe(runtime.broker, steps, spec_for_topic(topic), handler, group_id=group_id)
    register_outage_consumers(runtime, steps, deps, group_id=group_id)
    loop_consumers.register(runtime, deps, steps, group_id=group_id)  # return visits and first contacts


def _crew_handler(to_command: Callable[[Any], OrderAction], topic: str, deps: Deps):
    """A crew report: applied in lifecycle order, held while its predecessor is missing (dispatch.crew_reports)."""

    async def handle(envelope: Any) -> None:
        cmd = to_command(envelope.data)
        assert isinstance(cmd, CrewStep)
        delivery = Delivery(event_id=envelope.id, topic=topic, payload=envelope.model_dump_json())
        await report_crew_step(envelope.tenant, cmd, delivery, deps=deps)

    return handle


def _handler(to_command: Callable[[Any], OrderAction], deps: Deps):
    async def handle(envelope: Any) -> None:
        await act(envelope.tenant, to_command(envelope.data), deps=deps)

    return handle
