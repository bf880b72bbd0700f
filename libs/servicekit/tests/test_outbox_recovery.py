"""A relay that died with events unpublished: another relay republishes them from the documents (real processes)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer

from hotline_contracts import make_event
from servicekit.outbox import OutboxRelay, broker_sender
from servicekit.runtime import Runtime
from servicekit.settings import ServiceSettings

pytestmark = pytest.mark.integration


@pytest.fixture
async def runtime(kafka_bootstrap, mongo_uri, unique_name):
    settings = ServiceSettings(service_name=f"ob-{unique_name}", kafka_bootstrap_servers=kafka_bootstrap, mongo_uri=mongo_uri,
                               mongo_db_prefix=f"t{unique_name}", hosted_tenants=["370102"])
    rt = Runtime.build(settings)
    await rt.broker.start()
    rt.broker_started = True
    yield rt
    await rt.stop()


def make_relay(rt: Runtime, owner: str, clock) -> OutboxRelay:
    relay = OutboxRelay(dbs=rt.dbs, send=broker_sender(rt.broker, rt.metrics, "ob"), metrics=rt.metrics, tenants=["370102"], owner=owner,
                        stale_after=30.0, clock=clock)
    relay.register("orders")
    return relay


async def test_stale_relays_backlog_is_republished_by_a_live_relay(runtime, kafka_bootstrap, unique_name, ticket_created) -> None:
    now = [datetime.now(UTC)]
    dead = make_relay(runtime, "dead", lambda: now[0])
    await dead.ensure_indexes()
    col = runtime.dbs.for_tenant("370102")["orders"]
    ids = []
    for i in range(4):
        env = make_event(ticket_created, tenant="370102", source=f"/ob/{unique_name}", subject=f"o{i}")
        doc = {"tenant": "370102", "n": i}
        staged = dead.stamp("370102", "orders", doc, [env])
        await col.insert_one(doc)
        dead.commit(staged)  # stored, then the process "dies" before its relay publishes
        ids.append(env.id)
    now[0] += timedelta(minutes=5)
    live = make_relay(runtime, "live", lambda: now[0])
    await live.ensure_indexes()
    assert await live.recover_stale() == 4
    assert await live.recover_stale() == 0  # the dead relay's checkpoint is gone: never twice
    consumer = AIOKafkaConsumer("ticket.created.v1", bootstrap_servers=kafka_bootstrap, group_id=f"g-{unique_name}", auto_offset_reset="earliest", fetch_max_wait_ms=10)
    await consumer.start()
    seen: list[str] = []
    try:
        async with asyncio.timeout(30):
            while len(seen) < 4:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    seen += [m["id"] for m in map(json.loads, (r.value for r in records)) if m["source"] == f"/ob/{unique_name}"]
    finally:
        await consumer.stop()
    assert sorted(seen) == sorted(ids)
