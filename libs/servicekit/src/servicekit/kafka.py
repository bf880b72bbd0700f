"""Kafka plumbing: the broker from settings, event publishing, dead letters and idempotent consumption."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, cast

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError
from pymongo.errors import DuplicateKeyError

from hotline_contracts import Envelope, EventSpec
from servicekit import correlation
from servicekit.deadletters import DEAD_LETTER_TOPIC as DEAD_LETTER_TOPIC  # servicekit.kafka's names stay importable
from servicekit.deadletters import MAX_EVENT_BYTES
from servicekit.deadletters import DeadLetterPublisher as DeadLetterPublisher
from servicekit.errors import AlreadyHandled, AppError
from servicekit.inflight import InFlight
from servicekit.metrics import StandardMetrics
from servicekit.mongo import TenantDatabases
from servicekit.settings import ServiceSettings

log = logging.getLogger(__name__)


def make_broker(settings: ServiceSettings) -> KafkaBroker:
    """A FastStream broker that connects only when started."""
    security = None
    if settings.kafka_security_protocol.startswith("SASL"):
        from faststream.security import SASLPlaintext, SASLScram256, SASLScram512

        mechanisms = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}
        password = settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else ""
        security = mechanisms[settings.kafka_sasl_mechanism or "PLAIN"](
            username=settings.kafka_sasl_username or "",
            password=password,
            use_ssl=settings.kafka_security_protocol == "SASL_SSL",
        )
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=settings.service_name,
        security=security,
        request_timeout_ms=10_000,
        max_request_size=MAX_EVENT_BYTES,  # consumers refuse larger events as `oversized` (servicekit.deadletters)
        logger=logging.getLogger(f"{settings.service_name}.broker"),
    )


async def start_broker(broker: KafkaBroker) -> None:
    """`broker.start()`, except that the subscribers start together instead of one after another.

    Starting a subscriber joins its consumer group, and the coordinator holds a group's first
    JoinGroup open for other members (tansu for half the session timeout, 5 s with aiokafka's
    default; Apache Kafka for `group.initial.rebalance.delay.ms`, 3 s by default). One after another,
    a service waited that long per subscriber, plus a rebalance of its shared group for each member
    joining late: intake's seven took 54 s. Together, every member joins the same round.
    If any subscriber fails to start, all are stopped again, so a retry starts from nothing.
    """
    await broker.connect()
    subscribers = list(broker.subscribers)
    try:
        results = await asyncio.gather(*(s.start() for s in subscribers), return_exceptions=True)
        failure = next((r for r in results if isinstance(r, BaseException)), None)
        if failure is not None:
            raise failure
    except BaseException:  # a failure or cancellation: leave no consumer behind
        await asyncio.gather(*(s.stop() for s in subscribers), return_exceptions=True)
        raise
    for publisher in broker.publishers:
        await publisher.start()
    broker.running = True


class EventPublisher:
    """Publishes envelopes to their topic, keyed by subject so one order's events stay in order."""

    def __init__(self, broker: KafkaBroker, metrics: StandardMetrics, service: str) -> None:
        self.broker = broker
        self.metrics = metrics
        self.service = service

    async def publish(self, envelope: Envelope[Any]) -> None:
        topic = envelope.data.topic()
        key = (envelope.subject or envelope.id).encode()
        await self.broker.publish(
            envelope.model_dump_json().encode(),
            topic=topic,
            key=key,
            headers={"ce_type": envelope.type, "ce_id": envelope.id, "correlation_id": envelope.correlation_id},
            correlation_id=envelope.correlation_id,
        )
        self.metrics.events_published.labels(self.service, topic).inc()


class ProcessedEvents:
    """Remembers which event ids a consumer has handled, per tenant (unique index), for idempotency."""

    COLLECTION = "processed_events"

    def __init__(self, dbs: TenantDatabases, consumer: str) -> None:
        self.dbs = dbs
        self.consumer = consumer
        self._indexed: set[str] = set()

    async def ensure_indexes(self, tenant: str) -> None:
        col = self.dbs.for_tenant(tenant)[self.COLLECTION]
        await col.create_index([("tenant", 1), ("consumer", 1), ("event_id", 1)], unique=True)
        self._indexed.add(tenant)

    async def seen(self, tenant: str, event_id: str) -> bool:
        """True when this consumer has finished handling this event before (a redelivery)."""
        if tenant not in self._indexed:
            # Without the unique index two records of one event could exist: create it before the first use.
            await self.ensure_indexes(tenant)
        col = self.dbs.for_tenant(tenant)[self.COLLECTION]
        return await col.find_one({"tenant": tenant, "consumer": self.consumer, "event_id": event_id}, {"_id": 1}) is not None

    async def remember(self, tenant: str, event_id: str) -> None:
        """Record the event as handled, once its handling has been stored (a second record of it is ignored)."""
        col = self.dbs.for_tenant(tenant)[self.COLLECTION]
        with contextlib.suppress(DuplicateKeyError):
            await col.insert_one({"tenant": tenant, "consumer": self.consumer, "event_id": event_id, "at": datetime.now(UTC)})


class MemoryProcessedEvents:
    """ProcessedEvents in memory, for unit tests: the event ids a consumer has finished handling, per tenant."""

    def __init__(self) -> None:
        self.handled: set[tuple[str, str]] = set()

    async def seen(self, tenant: str, event_id: str) -> bool:
        return (tenant, event_id) in self.handled

    async def remember(self, tenant: str, event_id: str) -> None:
        self.handled.add((tenant, event_id))


Handler = Callable[[Envelope[Any]], Awaitable[None]]


class EventConsumer:
    """Size check → parse → tenant check → idempotency claim → handle; anything refused goes to the dead-letter topic.

    Parsing is strict (hotline_contracts.Envelope): an event without its id, specversion, type,
    source, time or tenant is refused as `validation_failed`, never given defaults.
    """

    def __init__(
        self,
        *,
        settings: ServiceSettings,
        metrics: StandardMetrics,
        dead_letters: DeadLetterPublisher,
        processed: ProcessedEvents | MemoryProcessedEvents | None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.dead_letters = dead_letters
        self.processed = processed
        self.in_flight = InFlight()  # messages handled in the background (subscribe(concurrency=...))

    async def consume(self, spec: EventSpec, payload: bytes, handler: Handler) -> str:
        """Handle one raw message; returns the result label (ok, duplicate, dead_lettered)."""
        topic = spec.topic
        if len(payload) > MAX_EVENT_BYTES:
            limit = [{"loc": "", "msg": f"{len(payload)} bytes, over the {MAX_EVENT_BYTES} byte limit", "type": "too_large"}]
            return await self._dead(topic, payload, "oversized", limit)
        try:
            envelope = spec.parse(payload)
        except ValidationError as exc:
            errors = [{"loc": ".".join(map(str, e["loc"])), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
            return await self._dead(topic, payload, "validation_failed", errors)
        if envelope.type != spec.type:
            return await self._dead(topic, payload, "wrong_event_type", [{"loc": "type", "msg": envelope.type, "type": "value"}])
        if not self.settings.hosts(envelope.tenant):
            self.dead_letters.audit_refused(envelope, topic, "tenant_not_hosted")
            return await self._dead(topic, payload, "tenant_not_hosted", [{"loc": "tenant", "msg": envelope.tenant, "type": "value"}])
        token = correlation.bind(envelope.correlation_id)
        try:
            return await self._handle(spec, envelope, payload, handler)
        finally:
            correlation.reset(token)

    async def _handle(self, spec: EventSpec, envelope: Envelope[Any], payload: bytes, handler: Handler) -> str:
        # The event is remembered only after its handling is stored. Remembered first, a crash between the
        # two left it marked as handled and never applied (the redelivery was taken for a duplicate). Now that
        # crash means the redelivery runs the handler again: use cases are idempotent by their own state
        # (unique keys, AlreadyHandled), and two deliveries at once meet the order's optimistic version check.
        if self.processed is not None and await self.processed.seen(envelope.tenant, envelope.id):
            self.metrics.events_consumed.labels(self.settings.service_name, spec.topic, "duplicate").inc()
            return "duplicate"
        try:
            await handler(envelope)
        except AlreadyHandled:
            result = "duplicate"
            self.metrics.events_consumed.labels(self.settings.service_name, spec.topic, result).inc()
        except AppError as exc:
            result = await self._dead(spec.topic, payload, exc.code, [f.as_dict() for f in exc.fields], envelope.tenant)
        except Exception:
            self.metrics.events_consumed.labels(self.settings.service_name, spec.topic, "failed").inc()
            raise
        else:
            result = "ok"
            self.metrics.events_consumed.labels(self.settings.service_name, spec.topic, result).inc()
        if self.processed is not None:
            await self.processed.remember(envelope.tenant, envelope.id)
        return result

    async def _dead(self, topic: str, payload: bytes, reason: str, errors: list[dict[str, str]], tenant: str | None = None) -> str:
        try:
            await self.dead_letters.send(topic=topic, payload=payload, reason=reason, errors=errors, tenant=tenant)
        except Exception:
            # Not dead-lettered (the broker refused the record): counted and logged as failed, never silent.
            log.exception("dead letter not published", extra={"topic": topic, "reason": reason})
            self.metrics.events_consumed.labels(self.settings.service_name, topic, "failed").inc()
            raise
        self.metrics.events_consumed.labels(self.settings.service_name, topic, "dead_lettered").inc()
        return "dead_lettered"


class ConsumerLag:
    """Messages still behind this consumer on a topic: the fetch's high-water mark minus the next offset, per partition.

    Read from what the consumer itself fetched, not from end_offsets (tansu reports those short).
    """

    def __init__(self, metrics: StandardMetrics, service: str, topic: str) -> None:
        self.gauge = metrics.consumer_lag.labels(service, topic)
        self.gauge.set(0)
        self.by_partition: dict[int, int] = {}

    def observe(self, record: Any, kafka_consumer: Any) -> None:
        highwater = getattr(kafka_consumer, "highwater", None)
        if record is None or highwater is None or not hasattr(record, "partition"):
            return  # test brokers have no fetch position to read
        from aiokafka import TopicPartition

        mark = highwater(TopicPartition(record.topic, record.partition))
        if mark is None:
            return
        self.by_partition[record.partition] = max(int(mark) - int(record.offset) - 1, 0)
        self.gauge.set(sum(self.by_partition.values()))


def fetch_wait_ms(settings: ServiceSettings, *, urgent: bool) -> int:
    """How long a fetch waits for data: short only where a latency target needs it."""
    return settings.kafka_fetch_max_wait_ms if urgent else settings.kafka_background_fetch_max_wait_ms


def subscribe(
    broker: KafkaBroker,
    consumer: EventConsumer,
    spec: EventSpec,
    handler: Handler,
    *,
    group_id: str,
    urgent: bool = False,
    concurrency: int = 1,
) -> None:
    """Register `handler` for `spec`'s topic on `broker`: raw bytes in, so refusals keep the original payload.

    `urgent` consumers (a latency target rides on them) poll at `kafka_fetch_max_wait_ms`; the rest
    at `kafka_background_fetch_max_wait_ms`. With `concurrency` > 1 the topic is fetched in batches and
    each message is handled in the background (`consumer.in_flight`), at most `concurrency` at once:
    the next batch is fetched while earlier messages are still in their round trips. Only for messages
    whose relative order does not matter (each is a new, independent fact).
    """
    lag = ConsumerLag(consumer.metrics, consumer.settings.service_name, spec.topic)
    options: dict[str, Any] = {
        "group_id": group_id,
        "auto_offset_reset": "earliest",
        "fetch_max_wait_ms": fetch_wait_ms(consumer.settings, urgent=urgent),
        "title": f"{group_id}:{spec.topic}",
        "description": spec.model.__doc__ or "",
    }
    name = f"on_{spec.topic.replace('.', '_')}"
    if concurrency <= 1:

        async def on_message(raw: KafkaMessage) -> None:
            await consumer.consume(spec, raw.body, handler)
            lag.observe(raw.raw_message, getattr(raw, "consumer", None))

        on_message.__name__ = name
        broker.subscriber(spec.topic, **options)(on_message)
        return

    slots = asyncio.Semaphore(concurrency)

    async def on_batch(raw: KafkaMessage) -> None:
        payloads = cast("list[bytes]", raw.body)  # a batch message's body is the list of record values
        for payload in payloads:
            await consumer.in_flight.start(consumer.consume(spec, payload, handler), slots)
        records = raw.raw_message
        if isinstance(records, (tuple, list)) and records:
            lag.observe(records[-1], getattr(raw, "consumer", None))

    on_batch.__name__ = name
    broker.subscriber(spec.topic, batch=True, max_records=concurrency, **options)(on_batch)
