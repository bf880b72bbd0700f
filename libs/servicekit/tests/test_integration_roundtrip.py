"""Round trips through real tansu and SecantusDB processes."""

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError

from hotline_contracts import make_event
from hotline_contracts.registry import spec_for_topic
from servicekit.kafka import subscribe
from servicekit.runtime import Runtime
from servicekit.settings import ServiceSettings

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).parents[2] / "contracts" / "examples"


def _example_event(topic: str, subject: str):
    """A fresh event (new id) carrying the committed example payload of `topic`."""
    example = json.loads((EXAMPLES / topic / "example-1.json").read_text(encoding="utf-8"))
    data = spec_for_topic(topic).model.model_validate(example["data"])
    return make_event(data, tenant="370102", source="/hotline/test", subject=subject)


async def _read(bootstrap: str, topic: str, group: str, count: int, match, timeout: float = 30.0) -> list[dict]:
    """This test's messages only: the topic is shared with every other test of the session."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest", fetch_max_wait_ms=10
    )
    await consumer.start()
    out: list[dict] = []
    try:
        async with asyncio.timeout(timeout):
            while len(out) < count:
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    out.extend(m for m in (json.loads(r.value) for r in records) if match(m))
    finally:
        await consumer.stop()
    return out


@pytest.fixture
async def runtime(kafka_bootstrap, mongo_uri, unique_name):
    settings = ServiceSettings(
        service_name=f"kit-{unique_name}",
        kafka_bootstrap_servers=kafka_bootstrap,
        mongo_uri=mongo_uri,
        mongo_db_prefix=f"t{unique_name}",
        hosted_tenants=["37", "370102"],
    )
    rt = Runtime.build(settings)
    await rt.broker.start()
    rt.broker_started = True
    yield rt
    await rt.stop()


async def test_event_round_trips_through_tansu_to_a_consumer_group(runtime, kafka_bootstrap, unique_name, ticket_created):
    envelope = make_event(ticket_created, tenant="370102", source="/hotline/test", subject="370102-20261126-000001")
    await runtime.publisher.publish(envelope)
    received = await _read(kafka_bootstrap, "ticket.created.v1", f"g-{unique_name}", 1, lambda m: m["id"] == envelope.id)
    parsed = spec_for_topic("ticket.created.v1").parse(json.dumps(received[-1]))
    assert parsed.id == envelope.id and parsed.data == envelope.data and parsed.tenant == "370102"


async def test_consumer_dead_letters_bad_and_foreign_events_and_skips_duplicates(runtime, kafka_bootstrap, unique_name, ticket_created):
    spec = spec_for_topic("ticket.created.v1")
    consumer = runtime.consumer(f"c-{unique_name}")
    handled: list[str] = []

    async def handler(env):
        handled.append(env.data.ticket_id)

    good = make_event(ticket_created, tenant="370102", source="/hotline/test").model_dump_json().encode()
    foreign = make_event(ticket_created, tenant="3702", source="/hotline/test").model_dump_json().encode()
    results = [
        await consumer.consume(spec, good, handler),
        await consumer.consume(spec, good, handler),
        await consumer.consume(spec, b'{"not": "an event"}', handler),
        await consumer.consume(spec, foreign, handler),
    ]
    assert results == ["ok", "duplicate", "dead_lettered", "dead_lettered"]
    assert handled == ["370102-20261126-000001"]
    dead = await _read(kafka_bootstrap, "deadletter.v1", f"dl-{unique_name}", 2, lambda m: m["data"]["consumer"] == runtime.settings.service_name)
    ours = [d["data"] for d in dead]
    assert {d["reason"] for d in ours} == {"validation_failed", "tenant_not_hosted"}
    assert any(d["payload"] == '{"not": "an event"}' for d in ours)


async def test_document_insert_unique_index_query_and_update_in_secantus(mongo_uri, unique_name):
    client = AsyncMongoClient(mongo_uri, tz_aware=True)
    col = client[f"hotline_{unique_name}"]["tickets"]
    await col.create_index([("tenant", 1), ("ticket_id", 1)], unique=True)
    doc = {"tenant": "370102", "ticket_id": "T-1", "state": "created", "at": datetime.now(UTC)}
    await col.insert_one(dict(doc))
    with pytest.raises(DuplicateKeyError):
        await col.insert_one(dict(doc))
    result = await col.update_one({"tenant": "370102", "ticket_id": "T-1"}, {"$set": {"state": "dispatched"}})
    assert result.modified_count == 1
    found = await col.find_one({"tenant": "370102", "ticket_id": "T-1"})
    assert found["state"] == "dispatched"
    assert await col.count_documents({"tenant": "370102"}) == 1
    await client.close()


async def test_runtime_reports_ready_only_when_broker_and_database_answer(runtime):
    assert await runtime.readiness() == {"startup": False, "kafka": True, "mongodb": True}
    await runtime.start()
    assert all((await runtime.readiness()).values())


async def test_consumer_lag_is_reported_while_behind_and_returns_to_zero(runtime, unique_name, ticket_created):
    """A consumer starting behind a backlog shows lag on /metrics, then 0 once caught up."""
    from faststream.kafka import KafkaBroker

    from servicekit.kafka import subscribe

    topic_spec = spec_for_topic("ticket.created.v1")
    for i in range(40):
        event = make_event(ticket_created, tenant="370102", source="/hotline/test", subject=f"lag-{unique_name}-{i}")
        await runtime.publisher.publish(event)
    lag_seen: list[float] = []
    done = asyncio.Event()
    broker = KafkaBroker(runtime.settings.kafka_bootstrap_servers)

    async def handler(env):
        if not (env.subject or "").startswith(f"lag-{unique_name}-"):
            return  # earlier tests' events on the shared topic
        lag_seen.append(runtime.metrics.registry.get_sample_value(
            "hotline_consumer_lag", {"service": runtime.settings.service_name, "topic": "ticket.created.v1"}))
        if len(lag_seen) == 40:  # ours come last in every partition: all 40 handled means caught up
            done.set()

    subscribe(broker, runtime.consumer(f"lag-{unique_name}", idempotent=False), topic_spec, handler, group_id=f"lag-{unique_name}")
    await broker.start()
    try:
        await asyncio.wait_for(done.wait(), 60)
    finally:
        await broker.stop()
    final = runtime.metrics.registry.get_sample_value(
        "hotline_consumer_lag", {"service": runtime.settings.service_name, "topic": "ticket.created.v1"})
    assert max(v or 0 for v in lag_seen) > 0
    assert final == 0


async def test_stopping_lets_background_handlers_finish_their_writes_before_the_producer_closes(
    kafka_bootstrap, mongo_uri, unique_name, ticket_created
):
    settings = ServiceSettings(service_name=f"drain-{unique_name}", kafka_bootstrap_servers=kafka_bootstrap,
                               mongo_uri=mongo_uri, mongo_db_prefix=f"t{unique_name}", hosted_tenants=["370102"])
    rt = Runtime.build(settings)
    mine = make_event(ticket_created.model_copy(update={"ticket_id": f"370102-DR-{unique_name}"}), tenant="370102",
                      source="/hotline/test")
    started, finished, done_topic = asyncio.Event(), [], f"drain.done.{unique_name}"

    async def handler(env):
        if env.id != mine.id:
            return  # other tests' tickets replay into this fresh group
        started.set()
        await asyncio.sleep(0.5)  # still in its round trips when the service is told to stop
        await rt.broker.publish(json.dumps({"id": env.id}).encode(), topic=done_topic)
        finished.append(env.id)

    subscribe(rt.broker, rt.consumer(idempotent=False), spec_for_topic("ticket.created.v1"), handler,
              group_id=f"g-{unique_name}", urgent=True, concurrency=8)
    await rt.broker.start()
    rt.broker_started = True
    await rt.publisher.publish(mine)
    await asyncio.wait_for(started.wait(), timeout=30)
    await rt.stop()
    assert finished == [mine.id]
    assert await _read(kafka_bootstrap, done_topic, f"r-{unique_name}", 1, lambda m: m["id"] == mine.id)


async def test_subscribers_sharing_one_group_each_receive_their_topic_once_the_runtime_has_started(
    kafka_bootstrap, mongo_uri, unique_name
):
    """The subscribers join together (one round for the whole group), and every topic still gets its consumer."""
    settings = ServiceSettings(service_name=f"join-{unique_name}", kafka_bootstrap_servers=kafka_bootstrap,
                               mongo_uri=mongo_uri, mongo_db_prefix=f"t{unique_name}", hosted_tenants=["370102"])
    rt = Runtime.build(settings)
    topics = ["ticket.created.v1", "ticket.urged.v1", "ticket.closed.v1"]
    mine = {topic: _example_event(topic, subject=f"join-{unique_name}-{topic}") for topic in topics}
    received = {topic: asyncio.Event() for topic in topics}

    def handler_for(topic: str):
        async def handler(env):
            if env.id == mine[topic].id:  # the shared topics also replay other tests' events
                received[topic].set()

        return handler

    for topic in topics:
        subscribe(rt.broker, rt.consumer(idempotent=False), spec_for_topic(topic), handler_for(topic),
                  group_id=f"shared-{unique_name}")
    try:
        await asyncio.wait_for(rt.start(), 60)
        for envelope in mine.values():
            await rt.publisher.publish(envelope)
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in received.values())), 30)
    finally:
        await rt.stop()
