"""The one place that wires the Analytics and reports service: runtime, HTTP routes and Kafka subscribers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from analytics.adapters.mongo import MongoAggregates
from analytics.deps import AnalyticsDeps
from analytics.entrypoints import consumers, http
from analytics.permissions import PERMISSIONS
from analytics.ports import AggregateStore
from analytics.settings import Settings
from servicekit.asyncapi import asyncapi_document
from servicekit.audit import audit_router
from servicekit.http import create_http_app
from servicekit.runtime import Runtime
from servicekit.tenancy import OrgTree, load_org_tree

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
    store: AggregateStore | None = None,
    group_prefix: str = "analytics",
) -> FastAPI:
    runtime = runtime or Runtime.build(settings)
    mongo_store = MongoAggregates(runtime.dbs)
    deps = AnalyticsDeps(settings=settings, store=store or mongo_store, audit=runtime.audit,
                         tree=OrgTree.from_codes(settings.hosted_tenants))

    async def load_tree(rt: Runtime) -> None:
        await deps.load_now(lambda: load_org_tree(rt.dbs.platform(), rt.settings))

    async def indexes(rt: Runtime) -> None:
        if store is None:
            for tenant in rt.settings.hosted_tenants:
                await mongo_store.ensure_indexes(tenant)

    runtime.startup_hooks += [load_tree, indexes]
    consumers.register(runtime, deps.store, group_prefix=group_prefix)
    routers = [http.router(deps), audit_router(runtime.audit, PERMISSIONS, action="audit.read")]
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
