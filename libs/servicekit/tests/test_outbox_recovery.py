"""A relay that died with events unpublished: another relay republishes them from the documents (real processes)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer

from hotline_contracts import make_event
from servicekit.outbox import OutboxRelay, broker_sender, entry_of
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


def make_relay(rt: Runtime, owner: str, clock, candidates=None) -> OutboxRelay:
    relay = OutboxRelay(dbs=rt.dbs, send=broker_sender(rt.broker, rt.metrics, "ob"), metrics=rt.metrics, tenants=["370102"], owner=owner,
                        stale_after=30.0, clock=clock)
    relay.register("orders", candidates)
    return relay


async def published_ids(kafka_bootstrap: str, unique_name: str, want: int) -> list[str]:
    consumer = AIOKafkaConsumer("ticket.created.v1", bootstrap_servers=kafka_bootstrap, group_id=f"g-{unique_name}", auto_offset_reset="earliest", fetch_max_wait_ms=10)
    await consumer.start()
    seen: list[str] = []
    try:
        async with asyncio.timeout(30):
            while len(seen) < want:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    seen += [m["id"] for m in map(json.loads, (r.value for r in records)) if m["source"] == f"/ob/{unique_name}"]
    finally:
        await consumer.stop()
    return seen


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
    assert sorted(await published_ids(kafka_bootstrap, unique_name, 4)) == sorted(ids)


async def test_with_candidates_the_collection_keeps_no_outbox_index_and_documents_are_found_by_number(
    runtime, kafka_bootstrap, unique_name, ticket_created
):
    """Documents found by `_id` through the collection's candidates; the indexes of earlier releases (owner, and
    documents with appended events) are dropped, and an old document published long ago is not sent again."""
    col = runtime.dbs.for_tenant("370102")["orders"]

    async def by_number(tenant: str, since: datetime):
        yield {"_id": {"$in": [f"new-{i}" for i in range(10)]}}  # the numbers handed out since then (more than were used)

    now = [datetime.now(UTC)]
    dead = make_relay(runtime, "dead", lambda: now[0], by_number)
    await col.create_index([("outbox_owner", 1), ("outbox_at", 1)])  # left by a release without candidates
    await col.create_index([("outbox_moved_owner", 1), ("outbox_moved_at", 1)], sparse=True)  # and by one that appended events
    await dead.ensure_indexes()
    assert sorted(await col.index_information()) == ["_id_"]
    old = make_event(ticket_created, tenant="370102", source=f"/ob/{unique_name}", subject="old")
    await col.insert_one({"_id": "old-1", "tenant": "370102", "outbox": [entry_of(old)], "outbox_owner": "dead", "outbox_at": now[0] - timedelta(days=3)})
    ids = []
    for i in range(4):  # three orders, and a repeat contact of old-1 under its own number
        env = make_event(ticket_created, tenant="370102", source=f"/ob/{unique_name}", subject=f"n{i}")
        doc = {"_id": f"new-{i}", "tenant": "370102"}
        staged = dead.stamp("370102", "orders", doc, [env])
        await col.insert_one(doc)
        dead.commit(staged)
        ids.append(env.id)
    now[0] += timedelta(minutes=5)
    live = make_relay(runtime, "live", lambda: now[0], by_number)
    await live.ensure_indexes()
    assert await live.recover_stale() == 4
    assert sorted(await published_ids(kafka_bootstrap, unique_name, 4)) == sorted(ids)


async def test_events_appended_to_a_document_by_two_relays_are_republished_for_the_one_that_died(
    runtime, kafka_bootstrap, unique_name, ticket_created
):
    """`appends` collections: a document changed by relay A, then by relay B, keeps both entries; when A dies
    unpublished, only A's entries are sent again, found through `outbox_at` although B wrote the document last."""
    from servicekit.outbox import with_events

    now = [datetime.now(UTC)]
    col = runtime.dbs.for_tenant("370102")["orders"]

    def relay(owner: str) -> OutboxRelay:
        r = OutboxRelay(dbs=runtime.dbs, send=broker_sender(runtime.broker, runtime.metrics, "ob"), metrics=runtime.metrics,
                        tenants=["370102"], owner=owner, stale_after=30.0, clock=lambda: now[0])
        r.register("orders", appends=True)
        return r

    dead, live = relay("dead"), relay("live")
    await dead.ensure_indexes()
    assert "outbox_at_1" in await col.index_information()

    def event(n: int):
        return make_event(ticket_created, tenant="370102", source=f"/ob/{unique_name}", subject="o1")

    created, changed, later = event(0), event(1), event(2)
    doc = {"_id": "o1", "tenant": "370102", "state": "new", "version": 0}
    staged = dead.stamp("370102", "orders", doc, [created])
    await col.insert_one(doc)
    dead.commit(staged)
    now[0] += timedelta(seconds=1)
    staged, ops = dead.stamp_update("370102", "orders", [changed])
    assert (await col.update_one({"_id": "o1", "version": 0}, with_events({"$set": {"state": "dispatched", "version": 1}}, ops))).modified_count == 1
    dead.commit(staged)  # stored; "dead" then stops before its relay publishes either event
    now[0] += timedelta(seconds=1)
    await live.ensure_indexes()
    staged, ops = live.stamp_update("370102", "orders", [later])
    await col.update_one({"_id": "o1"}, with_events({"$set": {"state": "closed", "version": 2}}, ops))
    live.commit(staged)
    assert await live.publish_batch() == 1  # the live relay sends its own event from memory
    stored = await col.find_one({"_id": "o1"})
    assert stored["state"] == "closed" and [e["id"] for e in stored["outbox"]] == [created.id, changed.id, later.id]
    assert [e["owner"] for e in stored["outbox"]] == ["dead", "dead", "live"]
    now[0] += timedelta(minutes=5)
    await live.checkpoint()
    assert await live.recover_stale() == 2
    assert await live.recover_stale() == 0
    assert sorted(await published_ids(kafka_bootstrap, unique_name, 3)) == sorted([created.id, changed.id, later.id])
