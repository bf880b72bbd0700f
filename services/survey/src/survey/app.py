"""The Return visit and survey service: runtime, HTTP routes and Kafka subscribers around `bootstrap()`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from servicekit.asyncapi import asyncapi_document
from servicekit.calendar_store import watch_years
from servicekit.calendar_watch import CalendarWatch
from servicekit.http import create_http_app
from servicekit.runtime import Runtime
from survey.bootstrap import bootstrap
from survey.deps import Deps, default_rules
from survey.entrypoints import consumers, http, rules_http
from survey.permissions import PERMISSIONS
from survey.service import refresh_ratio
from survey.settings import Settings

TITLE = "95598 回访与调查服务 / Return visit and survey"
DESCRIPTION = (
    "回单审核通过后按规则决定并安排回访（或不回访），登记回访结果与满意率；结果决定工单办结或重启。"
    "Return visits decided and scheduled per effective-dated rules once 95598 passed the reply (or skipped); "
    "results and satisfaction ratio; the result closes or reopens the order."
)


def create_app(
    settings: Settings,
    runtime: Runtime | None = None,
    *,
    start_dependencies: bool = True,
    deps: Deps | None = None,
    group_prefix: str = "survey",
) -> FastAPI:
    """`deps` lets unit tests pass `fake_bootstrap()`'s fakes; otherwise `bootstrap` wires MongoDB."""
    runtime = runtime or Runtime.build(settings)
    deps = deps or bootstrap(settings, runtime)

    watch = CalendarWatch(runtime.metrics.registry)  # hotline_calendar_year_unconfirmed: due dates in such a year are provisional

    async def prepare(rt: Runtime) -> None:
        for tenant in deps.hosted:
            await deps.rules.ensure_defaults(tenant, default_rules())
            await refresh_ratio(tenant, deps=deps)
        await watch_years(deps.rules, watch, deps.hosted, deps.clock())

    runtime.startup_hooks.append(prepare)
    consumers.register(runtime, deps, group_prefix=group_prefix)
    routers = [http.router(deps, runtime.audit), rules_http.router(deps)]
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
