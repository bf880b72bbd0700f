"""Refused events on a real tansu broker and SecantusDB: each lands in deadletter.v1 with its reason, is
counted, and the consumer goes on to the next event."""

import asyncio
import hashlib
import json
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from hotline_contracts import EventData, EventSpec, make_event
from servicekit.deadletters import DEAD_LETTER_MAX_BYTES, MAX_EVENT_BYTES
from servicekit.kafka import subscribe
from servicekit.runtime import Runtime
from servicekit.settings import ServiceSettings

pytestmark = pytest.mark.integration


class ProbeV1(EventData):
    """试验事件: an event of this test alone, on a topic of its own (no other consumer reads a 2 MB message)."""

    note: str


def _probe_spec(unique: str) -> EventSpec:
    return EventSpec(type("ProbeV1", (ProbeV1,), {"event_name": f"probe.refusals_{unique}"}))


async def _dead_letters(bootstrap: str, consumer: str, count: int, timeout: float = 30.0) -> list[dict]:
    """This consumer's dead letters only: deadletter.v1 is shared with every other test of the session."""
    reader = AIOKafkaConsumer("deadletter.v1", bootstrap_servers=bootstrap, group_id=f"dl-{consumer}",
                              auto_offset_reset="earliest", fetch_max_wait_ms=10)
    await reader.start()
    out: list[dict] = []
    try:
        async with asyncio.timeout(timeout):
            while len(out) < count:
                for records in (await reader.getmany(timeout_ms=200)).values():
                    out.extend(r for r in (json.loads(m.value) for m in records) if r["data"]["consumer"] == consumer)
    finally:
        await reader.stop()
    return out


async def test_events_without_id_with_a_wrong_specversion_or_oversized_are_dead_lettered_and_the_next_is_handled(
    kafka_bootstrap, mongo_uri, unique_name
):
    settings = ServiceSettings(service_name=f"strict-{unique_name}", kafka_bootstrap_servers=kafka_bootstrap, mongo_uri=mongo_uri,
                               mongo_db_prefix=f"t{unique_name}", hosted_tenants=["370102"])
    rt = Runtime.build(settings)
    spec = _probe_spec(unique_name)
    handled: list[str] = []
    good_seen = asyncio.Event()

    async def handler(env):
        handled.append(env.data.note)
        if env.data.note == "good":
            good_seen.set()

    subscribe(rt.broker, rt.consumer(), spec, handler, group_id=f"g-{unique_name}")

    def event(note: str) -> dict:
        data = spec.model(note=note)
        return json.loads(make_event(data, tenant="370102", source="/hotline/test", time=datetime.now(UTC)).model_dump_json())

    without_id = {k: v for k, v in event("no id").items() if k != "id"}
    old_version = {**event("old specversion"), "specversion": "0.3"}
    oversized = json.dumps(event("x" * (2 * MAX_EVENT_BYTES))).encode()  # valid, but over the producer's limit
    good = event("good")
    # A foreign producer with a larger size limit; one key, so one partition and this order.
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, max_request_size=8 * MAX_EVENT_BYTES)
    await producer.start()
    try:
        for payload in (json.dumps(without_id).encode(), json.dumps(old_version).encode(), oversized, json.dumps(good).encode()):
            await producer.send_and_wait(spec.topic, payload, key=b"one-order")
    finally:
        await producer.stop()

    await rt.broker.start()
    rt.broker_started = True
    try:
        await asyncio.wait_for(good_seen.wait(), timeout=60)
        dead = await _dead_letters(kafka_bootstrap, settings.service_name, 3)
    finally:
        await rt.stop()

    assert handled == ["good"]  # the event without an id was never applied
    by_reason = sorted((d["data"]["reason"], [e["loc"] for e in d["data"]["errors"]]) for d in dead)
    assert by_reason == [("oversized", [""]), ("validation_failed", ["id"]), ("validation_failed", ["specversion"])]
    assert all(d["data"]["original_topic"] == spec.topic for d in dead)
    [big] = [d["data"] for d in dead if d["data"]["reason"] == "oversized"]
    assert big["payload_truncated"] is True and oversized.startswith(big["payload"].encode())
    assert (big["original_size"], big["payload_sha256"]) == (len(oversized), hashlib.sha256(oversized).hexdigest())
    [no_id] = [d["data"] for d in dead if d["data"]["errors"][0]["loc"] == "id"]
    assert json.loads(no_id["payload"]) == without_id and no_id["payload_truncated"] is False

    def count(name: str, **labels: str) -> float:
        return rt.metrics.registry.get_sample_value(name, {"service": settings.service_name, "topic": spec.topic, **labels}) or 0.0

    assert count("hotline_dead_letters_total", reason="validation_failed") == 2
    assert count("hotline_dead_letters_total", reason="oversized") == 1
    assert count("hotline_events_consumed_total", result="dead_lettered") == 3
    assert count("hotline_events_consumed_total", result="ok") == 1


async def test_a_dead_letter_for_an_invalid_event_near_the_limit_still_fits_the_broker(kafka_bootstrap, mongo_uri, unique_name):
    """Escaping can make the record of an event under the limit larger than the limit: it is truncated, not lost."""
    settings = ServiceSettings(service_name=f"strict-{unique_name}", kafka_bootstrap_servers=kafka_bootstrap, mongo_uri=mongo_uri,
                               mongo_db_prefix=f"t{unique_name}", hosted_tenants=["370102"])
    rt = Runtime.build(settings)
    await rt.broker.start()
    rt.broker_started = True
    try:
        payload = b'{"note": "' + b"\x01" * 900_000 + b'"}'  # under 1 MB; each control byte is six characters escaped
        assert len(payload) < MAX_EVENT_BYTES
        result = await rt.consumer(idempotent=False).consume(_probe_spec(unique_name), payload, handler=None)  # type: ignore[arg-type]
        [dead] = await _dead_letters(kafka_bootstrap, settings.service_name, 1)
    finally:
        await rt.stop()
    assert result == "dead_lettered"
    assert dead["data"]["payload_truncated"] is True and dead["data"]["original_size"] == len(payload)
    assert len(json.dumps(dead).encode()) <= DEAD_LETTER_MAX_BYTES
