"""What a running service holds: settings, metrics, Mongo, the broker, publishers, the token verifier
and its permission table."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

from servicekit.access import Permissions
from servicekit.audit import AuditLog
from servicekit.auth import TokenVerifier
from servicekit.deadletters import DeadLetterPublisher
from servicekit.kafka import EventConsumer, EventPublisher, ProcessedEvents, make_broker, start_broker
from servicekit.metrics import StandardMetrics
from servicekit.mongo import Document, TenantDatabases, make_client, ping
from servicekit.outbox import OutboxRelay, broker_sender, default_owner
from servicekit.settings import ServiceSettings

log = logging.getLogger(__name__)

StartupHook = Callable[["Runtime"], Awaitable[None]]


async def for_each_tenant(tenants: list[str], prepare: Callable[[str], Awaitable[None]]) -> None:
    """Run a start-up step for every hosted tenant at once. One after another, a deployment hosting ten
    tenants spent about 13 s on index and rule-table round trips before its consumers could join."""
    await asyncio.gather(*(prepare(tenant) for tenant in tenants))


@dataclass
class Runtime:
    """Built once by a service's `create_app`; adapters and entrypoints take what they need from it."""

    settings: ServiceSettings
    metrics: StandardMetrics
    mongo: AsyncMongoClient[Document]
    dbs: TenantDatabases
    broker: KafkaBroker
    publisher: EventPublisher
    dead_letters: DeadLetterPublisher
    verifier: TokenVerifier
    audit: AuditLog
    outbox: OutboxRelay  # the one relay of this process: every stored event is published through it
    startup_hooks: list[StartupHook] = field(default_factory=list)
    broker_started: bool = False
    hooks_done: bool = False
    consumers: list[EventConsumer] = field(default_factory=list)  # their background handlers drain at stop
    permissions: Permissions | None = None  # the service's own table, registered by create_http_app

    SHUTDOWN_DRAIN_SECONDS = 10.0  # inside Kubernetes' default 30 s grace period
    STOP_STEP_SECONDS = 5.0
    OUTBOX_DRAIN_SECONDS = 5.0  # what is left is republished by the next process (it stays stored)

    @classmethod
    def build(cls, settings: ServiceSettings, *, verifier: TokenVerifier | None = None) -> Runtime:
        metrics = StandardMetrics.create(settings.service_name)
        mongo = make_client(settings)
        broker = make_broker(settings)
        publisher = EventPublisher(broker, metrics, settings.service_name)
        dbs = TenantDatabases(mongo, settings)
        outbox = OutboxRelay(
            dbs=dbs, send=broker_sender(broker, metrics, settings.service_name), metrics=metrics,
            tenants=list(settings.hosted_tenants), owner=settings.outbox_owner or default_owner(settings.service_name),
            batch_size=settings.outbox_batch_size, checkpoint_interval=settings.outbox_checkpoint_seconds,
            stale_after=settings.outbox_stale_after_seconds, linger=settings.outbox_linger_seconds,
            paused=settings.outbox_paused,
        )
        return cls(
            settings=settings,
            metrics=metrics,
            mongo=mongo,
            dbs=dbs,
            broker=broker,
            publisher=publisher,
            dead_letters=DeadLetterPublisher(publisher, settings),
            verifier=verifier or TokenVerifier(settings),
            audit=AuditLog(dbs, settings.service_name),
            outbox=outbox,
        )

    def consumer(self, name: str | None = None, *, idempotent: bool = True) -> EventConsumer:
        """An EventConsumer that dead-letters what it refuses and skips event ids it has handled.

        `idempotent=False` keeps no claim records: for handlers that detect a redelivery themselves
        (errors.AlreadyHandled) or that are harmless to repeat.
        """
        processed = ProcessedEvents(self.dbs, name or self.settings.service_name) if idempotent else None
        consumer = EventConsumer(settings=self.settings, metrics=self.metrics, dead_letters=self.dead_letters, processed=processed)
        self.consumers.append(consumer)
        return consumer

    async def start(self) -> None:
        """Keep trying the database hooks and the broker until both are up; readiness reflects progress.

        The subscribers join their consumer groups together (`start_broker`): one group join is a
        broker-side wait of seconds, so a service is ready about one join after its hooks are done.
        """
        while not (self.hooks_done and self.broker_started):
            try:
                if not self.hooks_done:
                    for hook in self.startup_hooks:
                        await hook(self)
                    if self.outbox.collections:
                        await self.outbox.ensure_indexes()
                        # Before the subscribers join: stored events go out (and a stopped process's
                        # backlog is republished) as soon as the producer connects, not after every
                        # group join; until then the relay keeps them and retries.
                        self.outbox.start()
                    self.hooks_done = True
                if not self.broker_started:
                    await start_broker(self.broker)
                    self.broker_started = True
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any connection failure means "try again"
                log.warning("dependencies not ready, retrying", extra={"error": repr(exc)})
                if self.hooks_done and not self.broker_started:
                    # A half-made connection (producer refused, subscribers stopped) would be reused
                    # as is by the next connect: close it so the retry starts from nothing.
                    with contextlib.suppress(Exception):
                        await self.broker.stop()
                await asyncio.sleep(1.0)

    async def stop(self) -> None:
        """Stop fetching, let background handlers finish (they still publish and write), then disconnect.

        Each step that talks to the broker is bounded: with the broker gone, a consumer's leave-group
        and the producer's flush would otherwise wait for it forever (what is not published stays stored).
        """
        if self.broker_started:
            await self._bounded(asyncio.gather(*(s.stop() for s in self.broker.subscribers)), "subscribers")
            for consumer in self.consumers:
                await consumer.in_flight.drain(self.SHUTDOWN_DRAIN_SECONDS)
            await self.outbox.drain(self.OUTBOX_DRAIN_SECONDS)  # handlers above may have stored events
        await self.outbox.stop()  # what is left stays stored: the next process republishes it
        if self.broker_started:
            await self._bounded(self.broker.stop(), "broker")
        await self.mongo.close()

    async def _bounded(self, step: Awaitable[Any], what: str) -> None:
        try:
            await asyncio.wait_for(step, timeout=self.STOP_STEP_SECONDS)
        except Exception as exc:  # noqa: BLE001 - shutting down: log and go on
            log.warning("shutdown step did not finish", extra={"step": what, "error": repr(exc)})

    async def readiness(self) -> dict[str, bool]:
        """Each dependency's state; the service is ready when all are true."""
        checks = {"startup": self.hooks_done, "kafka": False, "mongodb": False}
        try:
            await asyncio.wait_for(ping(self.mongo), timeout=2.0)
            checks["mongodb"] = True
        except Exception:  # noqa: BLE001
            pass
        if self.broker_started:
            checks["kafka"] = await self.broker.ping(timeout=2.0)
        return checks
