"""Kafka consumers: new tickets from intake; crew and reply events from field apps and the OMS."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from faststream.kafka.annotations import KafkaMessage

from hotline_contracts.registry import spec_for_topic
from servicekit.kafka import EventConsumer, fetch_wait_ms, subscribe
from servicekit.runtime import Runtime

from dispatch.adapters.claims import GroupedProcessedEvents
from dispatch.deps import Deps
from dispatch.service import Command, act, take_new_ticket


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


COMMANDS: dict[str, Callable[[Any], Command]] = {
    "crew.accepted.v1": _crew_step("accept"),
    "crew.departed.v1": _crew_step("depart"),
    "crew.arrived.v1": _crew_step("arrive"),
    "repair.completed.v1": _completed,
    "reply.submitted.v1": _replied,
}


def register(runtime: Runtime, deps: Deps, *, group_id: str = "dispatch") -> None:
    """Subscribe every consumer; unknown orders and illegal moves raise AppError and are dead-lettered."""
    # The kit's consumer, with the idempotency claims of a batch written together (group commit).
    consumer = EventConsumer(settings=runtime.settings, metrics=runtime.metrics, dead_letters=runtime.dead_letters,
                             processed=GroupedProcessedEvents(runtime.dbs, "dispatch"))
    wait = fetch_wait_ms(runtime.settings, urgent=True)  # TicketCreated → decision has a p99 target

    async def on_created(envelope: Any) -> None:
        await take_new_ticket(envelope.tenant, envelope.data, deps=deps, published_at=envelope.time)

    _subscribe_batch(runtime, consumer, "ticket.created.v1", on_created, group_id=group_id, wait=wait)
    for topic, to_command in COMMANDS.items():
        subscribe(runtime.broker, consumer, spec_for_topic(topic), _handler(to_command, deps), group_id=group_id)


def _subscribe_batch(runtime: Runtime, consumer: Any, topic: str, handler: Any, *, group_id: str, wait: int) -> None:
    """New tickets are independent of one another: take them in batches and handle a batch concurrently.

    One at a time, each order's few database round trips cap intake at well under 300/s; the kit's
    EventConsumer still parses, checks the tenant, claims the id and dead-letters each message. The
    claims of a batch, and then its orders, reach the database as one insert each (group commit).
    """
    spec = spec_for_topic(topic)

    async def on_batch(raw: KafkaMessage) -> None:
        records = raw.raw_message if isinstance(raw.raw_message, tuple) else (raw.raw_message,)
        await asyncio.gather(*(consumer.consume(spec, record.value, handler) for record in records))

    on_batch.__name__ = f"on_{topic.replace('.', '_')}"
    runtime.broker.subscriber(
        topic, group_id=group_id, auto_offset_reset="earliest", fetch_max_wait_ms=wait, batch=True,
        max_records=64, title=f"{group_id}:{topic}", description=spec.model.__doc__ or "",
    )(on_batch)


def _handler(to_command: Callable[[Any], Command], deps: Deps):
    async def handle(envelope: Any) -> None:
        await act(envelope.tenant, envelope.data.ticket_id, to_command(envelope.data), deps=deps)

    return handle
