"""Kafka consumers of the closed loop (闭环): survey's visit decisions and results, and first contacts.

return_visit.scheduled / .skipped / .completed come from survey; ticket.customer_contacted from unit and
crew apps. Each becomes a command for `dispatch.visits` or `dispatch.contact`; an unknown order or an
illegal move raises AppError and is dead-lettered. Idempotent through the consumer's processed ids.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from dispatch.commands import RecordCustomerContact, VisitDecided, VisitDone
from dispatch.contact import record_customer_contact
from dispatch.deps import Deps
from dispatch.visits import visit_decided, visit_done
from hotline_contracts.registry import spec_for_topic
from servicekit.kafka import EventConsumer, subscribe
from servicekit.runtime import Runtime


async def _scheduled(tenant: str, data: Any, deps: Deps) -> None:
    await visit_decided(tenant, VisitDecided(ticket_id=data.ticket_id, visited=True, at=data.at), deps=deps)


async def _skipped(tenant: str, data: Any, deps: Deps) -> None:
    await visit_decided(tenant, VisitDecided(ticket_id=data.ticket_id, visited=False, at=data.at), deps=deps)


async def _completed(tenant: str, data: Any, deps: Deps) -> None:
    cmd = VisitDone(ticket_id=data.ticket_id, result=str(data.result), actor=data.by, at=data.at, visit_id=data.visit_id,
                    comment=data.comment)
    await visit_done(tenant, cmd, deps=deps)


async def _contacted(tenant: str, data: Any, deps: Deps) -> None:
    cmd = RecordCustomerContact(ticket_id=data.ticket_id, actor=data.by, at=data.at, channel=str(data.channel), note=data.note)
    await record_customer_contact(tenant, cmd, deps=deps)


HANDLERS: dict[str, Callable[[str, Any, Deps], Awaitable[None]]] = {
    "return_visit.scheduled.v1": _scheduled,
    "return_visit.skipped.v1": _skipped,
    "return_visit.completed.v1": _completed,
    "ticket.customer_contacted.v1": _contacted,
}


def register(runtime: Runtime, deps: Deps, steps: EventConsumer, *, group_id: str) -> None:
    for topic, handler in HANDLERS.items():
        subscribe(runtime.broker, steps, spec_for_topic(topic), _bound(handler, deps), group_id=group_id)


def _bound(handler: Callable[[str, Any, Deps], Awaitable[None]], deps: Deps) -> Callable[[Any], Awaitable[None]]:
    async def handle(envelope: Any) -> None:
        await handler(envelope.tenant, envelope.data, deps)

    return handle
