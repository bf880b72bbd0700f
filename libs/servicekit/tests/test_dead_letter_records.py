"""Dead-letter records always fit the producer's size limit, and refusals are counted (no processes)."""

import hashlib
import json

import pytest

from hotline_contracts import make_event
from hotline_contracts.registry import spec_for_topic
from servicekit.deadletters import DEAD_LETTER_MAX_BYTES, MAX_EVENT_BYTES, PAYLOAD_EXCERPT_BYTES
from servicekit.runtime import Runtime
from servicekit.settings import ServiceSettings

pytestmark = pytest.mark.unit

SPEC = spec_for_topic("ticket.created.v1")


class Capture:
    """Stands in for the EventPublisher: keeps what would have been published, serialized as the broker gets it."""

    def __init__(self, metrics, fail: bool = False):
        self.metrics = metrics
        self.fail = fail
        self.sent: list[bytes] = []

    async def publish(self, envelope):
        if self.fail:
            raise RuntimeError("MessageSizeTooLargeError")
        self.sent.append(envelope.model_dump_json().encode())


@pytest.fixture
def runtime():
    rt = Runtime.build(ServiceSettings(service_name="dl-test", hosted_tenants=["370102"]))
    rt.dead_letters.publisher = Capture(rt.metrics)  # type: ignore[assignment]
    return rt


def _sample(rt, name, **labels):
    return rt.metrics.registry.get_sample_value(name, {"service": "dl-test", **labels}) or 0.0


def test_a_small_refused_payload_is_kept_whole_with_its_size_and_hash(runtime):
    payload = b'{"not": "an event"}'
    record = runtime.dead_letters.record(topic="ticket.created.v1", payload=payload, reason="validation_failed")
    assert record.data.payload == payload.decode() and record.data.payload_truncated is False
    assert record.data.original_size == len(payload)
    assert record.data.payload_sha256 == hashlib.sha256(payload).hexdigest()


def test_an_oversized_payload_is_truncated_but_identified(runtime):
    payload = b'{"summary": "' + b"x" * (2 * MAX_EVENT_BYTES) + b'"}'
    record = runtime.dead_letters.record(topic="ticket.created.v1", payload=payload, reason="oversized")
    assert record.data.payload_truncated is True
    assert record.data.payload == payload[:PAYLOAD_EXCERPT_BYTES].decode()
    assert (record.data.original_size, record.data.payload_sha256) == (len(payload), hashlib.sha256(payload).hexdigest())
    assert len(record.model_dump_json().encode()) <= DEAD_LETTER_MAX_BYTES


def test_a_payload_under_the_limit_whose_escaping_outgrows_it_is_truncated_too(runtime):
    payload = b"\x01" * (MAX_EVENT_BYTES // 2)  # every control byte becomes six characters of JSON
    errors = [{"loc": f"data.{i}" * 40, "msg": "Input should be a valid string", "type": "string_type"} for i in range(5000)]
    record = runtime.dead_letters.record(topic="ticket.created.v1", payload=payload, reason="validation_failed", errors=errors)
    assert record.data.payload_truncated is True and record.data.original_size == len(payload)
    assert len(record.model_dump_json().encode()) <= DEAD_LETTER_MAX_BYTES
    assert 0 < len(record.data.errors) < len(errors)


async def test_an_oversized_event_is_dead_lettered_unparsed_and_counted(runtime, ticket_created):
    big = ticket_created.model_copy(update={"summary": "停" * MAX_EVENT_BYTES})  # valid, but over the limit
    payload = make_event(big, tenant="370102", source="/test").model_dump_json().encode()

    async def never(_):
        raise AssertionError("an oversized event must not reach the handler")

    assert await runtime.consumer("dl", idempotent=False).consume(SPEC, payload, never) == "dead_lettered"
    [sent] = runtime.dead_letters.publisher.sent
    data = json.loads(sent)["data"]
    assert (data["reason"], data["payload_truncated"], data["original_size"]) == ("oversized", True, len(payload))
    assert data["errors"][0]["type"] == "too_large"
    assert _sample(runtime, "hotline_dead_letters_total", topic="ticket.created.v1", reason="oversized") == 1.0
    assert _sample(runtime, "hotline_events_consumed_total", topic="ticket.created.v1", result="dead_lettered") == 1.0


async def test_a_dead_letter_the_broker_refuses_is_counted_as_failed_not_dropped_silently(runtime):
    runtime.dead_letters.publisher = Capture(runtime.metrics, fail=True)  # type: ignore[assignment]

    async def never(_):
        raise AssertionError("unreachable")

    with pytest.raises(RuntimeError):
        await runtime.consumer("dl", idempotent=False).consume(SPEC, b"{}", never)
    assert _sample(runtime, "hotline_events_consumed_total", topic="ticket.created.v1", result="failed") == 1.0
    assert _sample(runtime, "hotline_dead_letters_total", topic="ticket.created.v1", reason="validation_failed") == 0.0
