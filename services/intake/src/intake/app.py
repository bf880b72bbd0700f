"""The Intake service: runtime, HTTP routes and Kafka subscribers around `bootstrap()`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from intake.bootstrap import bootstrap
from intake.deps import Deps
from intake.entrypoints.channels import channels_router
from intake.entrypoints.consumers import PUBLISHES, register_consumers
from intake.entrypoints.http import tickets_router
from intake.entrypoints.registry_http import customers_router, knowledge_router, rules_router
from intake.entrypoints.schemas import TicketIn
from intake.permissions import PERMISSIONS
from intake.settings import Settings
from servicekit.asyncapi import asyncapi_document
from servicekit.http import create_http_app
from servicekit.runtime import Runtime

TITLE = "95598 受理服务 / Intake"
DESCRIPTION = "客户诉求受理：各渠道来电来信统一生成工单。Every channel in, one work order out."


def create_app(settings: Settings, runtime: Runtime | None = None, *, start_dependencies: bool = True, deps: Deps | None = None) -> FastAPI:
    """`deps` lets unit tests pass `fake_bootstrap()`'s fakes; otherwise `bootstrap` wires MongoDB and the outbox."""
    runtime = runtime or Runtime.build(settings)
    fake = deps is not None
    deps = deps or bootstrap(settings, runtime)
    # Fakes keep no claim records (no database); the handlers are harmless to repeat either way.
    consumer = runtime.consumer(settings.service_name, idempotent=not fake)
    register_consumers(runtime.broker, consumer, deps, group_id=settings.consumer_group)
    routers = [tickets_router(deps), channels_router(deps), customers_router(deps), knowledge_router(deps), rules_router(deps)]
    app = create_http_app(runtime, permissions=PERMISSIONS, title=TITLE, description=DESCRIPTION, routers=routers, start_dependencies=start_dependencies,
                          body_models=[TicketIn])
    app.state.deps = deps
    if deps.stop_background is not None:
        _stop_with_app(app, deps.stop_background)
    return app


def _stop_with_app(app: FastAPI, stop: Callable[[], Awaitable[None]]) -> None:
    original = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        async with original(a):
            try:
                yield
            finally:
                await stop()  # before the runtime closes Mongo and the broker

    app.router.lifespan_context = lifespan


def asyncapi(settings: Settings | None = None) -> dict[str, Any]:
    """The AsyncAPI document of this service's subscribers and publishers."""
    app = create_app(settings or Settings(), start_dependencies=False)
    runtime: Runtime = app.state.runtime
    return asyncapi_document(runtime, publishes=PUBLISHES, title=TITLE, description=DESCRIPTION)
