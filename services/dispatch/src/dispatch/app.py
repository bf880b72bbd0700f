"""The Dispatch service app: runtime, HTTP routes, Kafka subscribers and the scanner around `bootstrap()`'s Deps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from dispatch.bootstrap import bootstrap
from dispatch.crew_hold_sweeper import run_hold_sweeper
from dispatch.deps import Deps
from dispatch.entrypoints import consumers, http, http_admin, http_calendar
from dispatch.permissions import PERMISSIONS
from dispatch.scanner import run_scanner
from dispatch.settings import Settings
from servicekit.asyncapi import asyncapi_document
from servicekit.http import create_http_app
from servicekit.runtime import Runtime

TITLE = "95598 调度服务 / Dispatch"
DESCRIPTION = "工单派发、抢修班组、时限预警、催办督办与交接班。Routing, crews, time limits, urging, supervision, shift handover."


def create_app(
    settings: Settings, runtime: Runtime | None = None, *, start_dependencies: bool = True, deps: Deps | None = None
) -> FastAPI:
    """`deps` lets unit tests pass `fake_bootstrap()`'s; otherwise `bootstrap()` builds the MongoDB ones."""
    runtime = runtime or Runtime.build(settings)
    deps = deps or bootstrap(settings, runtime)
    consumers.register(runtime, deps, group_id=settings.consumer_group)
    app = create_http_app(
        runtime, permissions=PERMISSIONS, title=TITLE, description=DESCRIPTION, start_dependencies=start_dependencies,
        routers=[http.router(runtime, deps), http_admin.router(runtime, deps), http_calendar.router(runtime, deps)],
    )
    app.state.deps = deps
    _with_scanner(app, runtime, deps, settings.scan_interval_seconds if start_dependencies else 0,
                  settings.crew_event_sweep_seconds if start_dependencies else 0)
    return app


def _with_scanner(app: FastAPI, runtime: Runtime, deps: Deps, interval: float, sweep_interval: float) -> None:
    """Run the time-limit scanner and the held crew report sweep inside the kit's lifespan; stop them before the runtime."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        async with inner(a):
            tasks = [asyncio.create_task(run_scanner(runtime, deps, interval))] if interval > 0 else []
            if sweep_interval > 0:
                tasks.append(asyncio.create_task(run_hold_sweeper(runtime, deps, sweep_interval)))
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    app.router.lifespan_context = lifespan


def asyncapi(settings: Settings | None = None) -> dict[str, Any]:
    """The AsyncAPI document of this service's subscribers and publishers."""
    app = create_app(settings or Settings(), start_dependencies=False)
    runtime: Runtime = app.state.runtime
    return asyncapi_document(runtime, publishes=consumers.PUBLISHES, title=TITLE, description=DESCRIPTION)
