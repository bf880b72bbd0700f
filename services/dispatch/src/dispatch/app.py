"""The one place that wires the Dispatch service: runtime, HTTP routes, Kafka subscribers and the scanner."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from fastapi import FastAPI

from dispatch.adapters.mongo import MongoCrews, MongoHandovers, MongoOrders, MongoRules
from dispatch.deps import Deps
from dispatch.domain.rules import TABLES
from dispatch.entrypoints import consumers, http, http_admin
from dispatch.metrics import DispatchMetrics
from dispatch.permissions import PERMISSIONS
from dispatch.scanner import run_scanner
from dispatch.settings import Settings
from servicekit.asyncapi import asyncapi_document
from servicekit.http import create_http_app
from servicekit.runtime import Runtime

TITLE = "95598 调度服务 / Dispatch"
DESCRIPTION = "工单派发、抢修班组、时限预警、催办督办与交接班。Routing, crews, time limits, urging, supervision, shift handover."


def default_rules() -> dict[str, list[dict]]:
    """The rule tables shipped as data (docs/RULES.md numbers), loaded into tenants that have none."""
    text = resources.files("dispatch").joinpath("data/default_rules.json").read_text(encoding="utf-8")
    return {name: rows for name, rows in json.loads(text).items() if name in TABLES}


def build_deps(runtime: Runtime) -> Deps:
    return Deps(
        orders=MongoOrders(runtime.dbs), rules=MongoRules(runtime.dbs), crews=MongoCrews(runtime.dbs),
        handovers=MongoHandovers(runtime.dbs), publish=runtime.publisher.publish, clock=lambda: datetime.now(UTC),
        metrics=DispatchMetrics.create(runtime.metrics.registry),
    )


def _startup(deps: Deps):
    async def hook(runtime: Runtime) -> None:
        tables, now = default_rules(), datetime.now(UTC)
        for tenant in runtime.settings.hosted_tenants:
            await deps.orders.ensure_indexes(tenant)  # type: ignore[attr-defined]
            await deps.handovers.ensure_indexes(tenant)  # type: ignore[attr-defined]
            for name, rows in tables.items():
                await deps.rules.ensure_defaults(tenant, name, rows, now)  # type: ignore[attr-defined]
            await _warm_caches(tenant, deps, now)

    return hook


async def _warm_caches(tenant: str, deps: Deps, now: datetime) -> None:
    """Read what routing a new ticket needs before consuming starts, so the first tickets do not wait for it."""
    await deps.rules.active(tenant, "routing", now)
    stations = await deps.crews.stations(tenant)
    await asyncio.gather(*(deps.crews.on_duty(tenant, station, now) for station in stations))
    await deps.orders.workload(tenant, [code for codes in stations.values() for code in codes])


def create_app(settings: Settings, runtime: Runtime | None = None, *, start_dependencies: bool = True) -> FastAPI:
    runtime = runtime or Runtime.build(settings)
    deps = build_deps(runtime)
    runtime.startup_hooks.append(_startup(deps))
    consumers.register(runtime, deps, group_id=settings.consumer_group)
    app = create_http_app(
        runtime, permissions=PERMISSIONS, title=TITLE, description=DESCRIPTION, start_dependencies=start_dependencies,
        routers=[http.router(runtime, deps), http_admin.router(runtime, deps)],
    )
    app.state.deps = deps
    _with_scanner(app, runtime, deps, settings.scan_interval_seconds if start_dependencies else 0)
    return app


def _with_scanner(app: FastAPI, runtime: Runtime, deps: Deps, interval: float) -> None:
    """Run the time-limit scanner inside the kit's lifespan, and stop it before the runtime stops."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        async with inner(a):
            task = asyncio.create_task(run_scanner(runtime, deps, interval)) if interval > 0 else None
            try:
                yield
            finally:
                if task is not None:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)

    app.router.lifespan_context = lifespan


def asyncapi(settings: Settings | None = None) -> dict[str, Any]:
    """The AsyncAPI document of this service's subscribers and publishers."""
    app = create_app(settings or Settings(), start_dependencies=False)
    runtime: Runtime = app.state.runtime
    return asyncapi_document(runtime, publishes=consumers.PUBLISHES, title=TITLE, description=DESCRIPTION)
