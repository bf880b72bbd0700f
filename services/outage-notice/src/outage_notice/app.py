"""The one place that wires the Outage notice service: runtime, HTTP routes, Kafka subscribers, scheduler."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from outage_notice.adapters.gateway import FileSinkGateway, HttpSmsGateway
from outage_notice.adapters.mongo import MongoOutages, MongoRules
from outage_notice.adapters.mongo_batches import MongoNoticeQueue
from outage_notice.adapters.mongo_directory import MongoDirectory
from outage_notice.entrypoints.consumers import PUBLISHES, register_consumers
from outage_notice.entrypoints.http import outage_router
from outage_notice.entrypoints.public import public_router
from outage_notice.entrypoints.rules_http import rules_router
from outage_notice.index import OutageIndex
from outage_notice.metrics import OutageMetrics
from outage_notice.permissions import PERMISSIONS
from outage_notice.ports import NoticeGateway
from outage_notice.scheduler import run_forever
from outage_notice.service import Deps
from outage_notice.settings import Settings
from servicekit.asyncapi import asyncapi_document
from servicekit.http import create_http_app
from servicekit.runtime import Runtime

TITLE = "95598 停电信息服务 / Outage notice"
DESCRIPTION = "停电信息报送、客户通知与来电答复。Outage information in, customers told, calls answered."
DEFAULT_RULES = Path(__file__).with_name("rules_default.json")


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def make_gateway(settings: Settings) -> NoticeGateway:
    if settings.notify_gateway == "http_sms" and settings.sms_gateway_url:
        password = settings.sms_gateway_password.get_secret_value() if settings.sms_gateway_password else None
        return HttpSmsGateway(settings.sms_gateway_url, settings.sms_gateway_username, password)
    return FileSinkGateway(settings.notify_sink_dir)


def build_deps(settings: Settings, runtime: Runtime) -> Deps:
    outages = MongoOutages(runtime.dbs)
    metrics = OutageMetrics(runtime.metrics.registry, settings.service_name)
    return Deps(
        outages=outages,
        directory=MongoDirectory(runtime.dbs, cache_size=settings.place_cache_size, cache_ttl_seconds=settings.place_cache_ttl_seconds),
        notices=MongoNoticeQueue(runtime.dbs, chunk=settings.notice_chunk_size),
        rules=MongoRules(runtime.dbs), gateway=make_gateway(settings), publish=runtime.publisher.publish,
        clock=SystemClock(), index=OutageIndex(outages, metrics), metrics=metrics, tz=ZoneInfo(settings.display_timezone),
    )


def startup_hook(settings: Settings, deps: Deps):
    defaults: dict[str, Any] = json.loads(DEFAULT_RULES.read_text(encoding="utf-8"))

    async def prepare(_: Runtime) -> None:
        """Indexes (every one starts with tenant) and the shipped rule tables, per hosted tenant."""
        for tenant in settings.hosted_tenants:
            for adapter in (deps.outages, deps.directory, deps.notices):
                await adapter.ensure_indexes(tenant)  # type: ignore[attr-defined]
            for name, table in defaults.items():
                await deps.rules.ensure_default(tenant, name, table)
            await deps.index.reload(tenant)

    return prepare


def create_app(
    settings: Settings, runtime: Runtime | None = None, *, start_dependencies: bool = True, deps: Deps | None = None
) -> FastAPI:
    runtime = runtime or Runtime.build(settings)
    deps = deps or build_deps(settings, runtime)
    runtime.startup_hooks.append(startup_hook(settings, deps))
    register_consumers(runtime, deps)
    routers = [outage_router(runtime, deps), rules_router(runtime, deps), public_router(runtime, deps)]
    app = create_http_app(
        runtime, permissions=PERMISSIONS, title=TITLE, description=DESCRIPTION, routers=routers,
        start_dependencies=start_dependencies,
    )
    app.state.deps = deps
    if start_dependencies and settings.scheduler_enabled:
        _attach_scheduler(app, runtime, settings, deps)
    return app


def _attach_scheduler(app: FastAPI, runtime: Runtime, settings: Settings, deps: Deps) -> None:
    """Runs beside the HTTP lifespan, starting once the database hooks are done."""
    inner = app.router.lifespan_context

    async def scheduler() -> None:
        while not runtime.hooks_done:  # noqa: ASYNC110 - a flag Runtime.start sets once, polled until start-up ends
            await asyncio.sleep(0.2)
        await run_forever(settings.hosted_tenants, deps=deps, interval=settings.scheduler_interval_seconds, batch=settings.notice_batch_size)

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        async with inner(a):
            task = asyncio.create_task(scheduler())
            try:
                yield
            finally:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task

    app.router.lifespan_context = lifespan


def asyncapi(settings: Settings | None = None) -> dict[str, Any]:
    """The AsyncAPI document of this service's subscribers and publishers."""
    app = create_app(settings or Settings(), start_dependencies=False)
    runtime: Runtime = app.state.runtime
    return asyncapi_document(runtime, publishes=PUBLISHES, title=TITLE, description=DESCRIPTION)
