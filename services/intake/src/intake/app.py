"""The one place that wires the Intake service: runtime, HTTP routes, Kafka subscribers and background tasks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI

from intake.adapters.audit import BufferedAudit
from intake.adapters.cache import CachedRules, CallCounter, OutageCache
from intake.adapters.memory import default_rules
from intake.adapters.mongo import BlockNumbers, MongoRules, MongoTickets
from intake.adapters.mongo_directory import MongoCustomers, MongoKnowledge, MongoOutages
from intake.entrypoints.channels import channels_router
from intake.entrypoints.consumers import PUBLISHES, register_consumers
from intake.entrypoints.http import tickets_router
from intake.entrypoints.registry_http import customers_router, knowledge_router, rules_router
from intake.entrypoints.schemas import TicketIn
from intake.metrics import IntakeMetrics
from intake.permissions import PERMISSIONS
from intake.service import IntakeDeps
from intake.settings import Settings
from intake.wiring import Intake
from servicekit.asyncapi import asyncapi_document
from servicekit.http import create_http_app
from servicekit.runtime import Runtime

TITLE = "95598 受理服务 / Intake"
DESCRIPTION = "客户诉求受理：各渠道来电来信统一生成工单。Every channel in, one work order out."


def build_intake(settings: Settings, runtime: Runtime) -> Intake:
    """Mongo-backed wiring: the order and its events in one document, relayed by the runtime's outbox."""
    relay = runtime.outbox
    tickets, outages, rules = MongoTickets(runtime.dbs, relay), MongoOutages(runtime.dbs), MongoRules(runtime.dbs)
    calls = CallCounter(outages)
    deps = IntakeDeps(
        tickets=tickets, customers=MongoCustomers(runtime.dbs), outages=OutageCache(outages, settings.outage_cache_seconds), calls=calls,
        numbers=BlockNumbers(runtime.dbs, settings.order_number_block), rules=CachedRules(rules, settings.rules_cache_seconds),
        metrics=IntakeMetrics(runtime.metrics.registry, settings.service_name), clock=lambda: datetime.now(UTC),
    )
    extras = {"relay": relay, "outage_projection": outages, "close_ticket": tickets.close, "mongo": True}
    return Intake(deps=deps, customers=deps.customers, knowledge=MongoKnowledge(runtime.dbs), rules_admin=rules,
                  audit=BufferedAudit(runtime.dbs, settings.service_name), hosted=list(settings.hosted_tenants), extras=extras)


def create_app(settings: Settings, runtime: Runtime | None = None, *, start_dependencies: bool = True, intake: Intake | None = None) -> FastAPI:
    """`intake` lets unit tests pass memory fakes; otherwise everything is backed by Mongo and Kafka."""
    runtime = runtime or Runtime.build(settings)
    memory = intake is not None
    intake = intake or build_intake(settings, runtime)
    consumer = runtime.consumer(settings.service_name, idempotent=not memory)
    register_consumers(runtime.broker, consumer, intake, group_id=settings.consumer_group)
    routers = [tickets_router(intake), channels_router(intake), customers_router(intake), knowledge_router(intake), rules_router(intake)]
    app = create_http_app(runtime, permissions=PERMISSIONS, title=TITLE, description=DESCRIPTION, routers=routers,
                          start_dependencies=start_dependencies, body_models=[TicketIn])
    app.state.intake = intake
    if not memory:
        background = Background(intake, settings)
        runtime.startup_hooks.append(background.prepare)
        _stop_with_app(app, background)
    return app


class Background:
    """Index creation and default rules at start-up; the relay and the flushers while running."""

    def __init__(self, intake: Intake, settings: Settings) -> None:
        self.intake = intake
        self.settings = settings
        self.tasks: list[asyncio.Task[Any]] = []

    async def prepare(self, runtime: Runtime) -> None:
        ex = self.intake.extras
        for tenant in self.intake.hosted:
            await self.intake.deps.tickets.ensure_indexes(tenant)
            await self.intake.customers.ensure_indexes(tenant)
            await ex["outage_projection"].ensure_indexes(tenant)
            await self.intake.knowledge.ensure_indexes(tenant)
            await _load_default_rules(self.intake.rules_admin, tenant)
        if not self.tasks:
            self.tasks = [asyncio.create_task(self.intake.audit.run(self.settings.flush_seconds)),
                          asyncio.create_task(self.intake.deps.calls.run(self.settings.flush_seconds))]

    async def stop(self) -> None:
        """Flush audit records and call counts; the runtime drains the outbox relay after this."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._flush(), timeout=5.0)

    async def _flush(self) -> None:
        await self.intake.audit.flush()
        await self.intake.deps.calls.flush()


def _stop_with_app(app: FastAPI, background: Background) -> None:
    original = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        async with original(a):
            try:
                yield
            finally:
                await background.stop()  # before the runtime closes Mongo and the broker

    app.router.lifespan_context = lifespan


async def _load_default_rules(rules: MongoRules, tenant: str) -> None:
    """Shipped defaults go into a tenant that has no version of a table yet (never over an edited one)."""
    for name, table in default_rules().items():
        if await rules.latest_version(tenant, name) == 0:
            effective = datetime.fromisoformat(table["effective_from"])
            await rules.save(tenant, name, {"name": name, "version": table["version"], "effective_from": effective,
                                            "effective_to": None, "source": table.get("source", ""), "rows": table["rows"]})


def asyncapi(settings: Settings | None = None) -> dict[str, Any]:
    """The AsyncAPI document of this service's subscribers and publishers."""
    app = create_app(settings or Settings(), start_dependencies=False)
    runtime: Runtime = app.state.runtime
    return asyncapi_document(runtime, publishes=PUBLISHES, title=TITLE, description=DESCRIPTION)
