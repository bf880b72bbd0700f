"""Kafka consumers of outage ends (送电 / 停电取消): the orders waiting on the outage are settled.

Idempotent by event id (the shared `dispatch` consumer's processed ids); a redelivery that slips past it
finds no order still waiting, so nothing is closed twice.
"""

from __future__ import annotations

from typing import Any

from dispatch.commands import SettleOutage
from dispatch.deps import Deps
from dispatch.domain.outage_wait import OutageEnd
from dispatch.outage_settlement import settle_outage
from hotline_contracts.events.outage import OutageCancelledV1, OutageRestoredV1
from hotline_contracts.registry import spec_for_topic
from servicekit.kafka import subscribe
from servicekit.runtime import Runtime


def restored(envelope: Any) -> SettleOutage:
    data: OutageRestoredV1 = envelope.data
    return SettleOutage(outage_id=data.outage_id, end=OutageEnd.RESTORED.value, at=data.restored_at,
                        actor=data.reported_by, reason=data.remark or "", event_id=envelope.id)


def cancelled(envelope: Any) -> SettleOutage:
    data: OutageCancelledV1 = envelope.data
    return SettleOutage(outage_id=data.outage_id, end=OutageEnd.CANCELLED.value, at=data.cancelled_at,
                        actor=data.cancelled_by, reason=data.reason, event_id=envelope.id)


def register_outage_consumers(runtime: Runtime, consumer: Any, deps: Deps, *, group_id: str) -> None:
    for topic, to_command in (("outage.restored.v1", restored), ("outage.cancelled.v1", cancelled)):
        subscribe(runtime.broker, consumer, spec_for_topic(topic), _handler(to_command, deps), group_id=group_id)


def _handler(to_command: Any, deps: Deps) -> Any:
    async def handle(envelope: Any) -> None:
        await settle_outage(envelope.tenant, to_command(envelope), deps=deps)

    return handle
