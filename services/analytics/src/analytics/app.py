"""The Analytics and reports service: runtime, HTTP routes and Kafka subscribers around `bootstrap()`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from analytics.bootstrap import bootstrap
from analytics.deps import Deps
from analytics.entrypoints import consumers, http
from analytics.permissions import PERMISSIONS
from analytics.settings import Settings
from servicekit.asyncapi import asyncapi_document
from servicekit.audit import audit_router
from servicekit.http import create_http_app
from servicekit.runtime import Runtime

TITLE = "95598 统计报表服务 / Analytics and reports"
DESCRIPTION = (
    "日报、周报、月报逐级汇总；审计日志查询。Daily, weekly and monthly reports rolled up county → city → province; "
    "the platform's audit log (every service writes to each tenant's `audit_log`) is read here."
)


def create_app(
    settings: Settings,
    runtime: Runtime | None = None,
    *,
    start_dependencies: bool = True,
    deps: Deps | None = None,
    group_prefix: str = "analytics",
) -> FastAPI:
    """`deps` lets unit tests pass `fake_bootstrap()`'s fakes; otherwise `bootstrap` wires MongoDB."""
    runtime = runtime or Runtime.build(settings)
    deps = deps or bootstrap(settings, runtime)
    consumers.register(runtime, deps, group_prefix=group_prefix)
    routers = [http.router(deps, runtime.audit), audit_router(runtime.audit, PERMISSIONS, action="audit.read")]
    app = create_http_app(
        runtime, permissions=PERMISSIONS, title=TITLE, description=DESCRIPTION, routers=routers,
        start_dependencies=start_dependencies,
    )
    app.state.deps = deps
    return app


def asyncapi(settings: Settings | None = None) -> dict[str, Any]:
    """The AsyncAPI document of this service's subscribers and publishers."""
    app = create_app(settings or Settings(), start_dependencies=False)
    runtime: Runtime = app.state.runtime
    return asyncapi_document(runtime, publishes=consumers.PUBLISHES, title=TITLE, description=DESCRIPTION)
