"""The Outage notice service's app: runtime, HTTP routes, Kafka subscribers and scheduler around `bootstrap`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from fastapi import FastAPI

from outage_notice.bootstrap import bootstrap
from outage_notice.deps import Deps
from outage_notice.entrypoints.consumers import PUBLISHES, register_consumers
from outage_notice.entrypoints.http import outage_router
from outage_notice.entrypoints.public import public_router
from outage_notice.entrypoints.rules_http import rules_router
from outage_notice.permissions import PERMISSIONS
from outage_notice.scheduler import run_forever
from outage_notice.settings import Settings
from servicekit.asyncapi import asyncapi_document
from servicekit.http import create_http_app
from servicekit.runtime import Runtime

TITLE = "95598 停电信息服务 / Outage notice"
DESCRIPTION = "停电信息报送、客户通知与来电答复。Outage information in, customers told, calls answered."


def create_app(
    settings: Settings, runtime: Runtime | None = None, *, start_dependencies: bool = True, deps: Deps | None = None
) -> FastAPI:
    """HTTP routes and subscribers around `bootstrap(settings, runtime)`, or around given `deps` (unit tests' fakes)."""
    runtime = runtime or Runtime.build(settings)
    deps = deps or bootstrap(settings, runtime)
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
