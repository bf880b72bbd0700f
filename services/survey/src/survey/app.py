"""The one place that wires the Return visit and survey service: runtime, HTTP routes and Kafka subscribers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from servicekit.asyncapi import asyncapi_document
from servicekit.http import create_http_app
from servicekit.runtime import Runtime
from survey.adapters.mongo import MongoRules, MongoVisits
from survey.deps import SurveyDeps, default_table
from survey.entrypoints import consumers, http, rules_http
from survey.metrics import SurveyMetrics
from survey.permissions import PERMISSIONS
from survey.ports import RuleStore, VisitRepo
from survey.service import refresh_ratio
from survey.settings import Settings

TITLE = "95598 回访与调查服务 / Return visit and survey"
DESCRIPTION = (
    "工单办结后按规则安排回访，登记回访结果与满意率；不满意的工单申请重启。"
    "Return visits scheduled per effective-dated rules after an order closes; results, satisfaction ratio, reopen requests."
)


def create_app(
    settings: Settings,
    runtime: Runtime | None = None,
    *,
    start_dependencies: bool = True,
    visits: VisitRepo | None = None,
    rules: RuleStore | None = None,
    group_prefix: str = "survey",
) -> FastAPI:
    runtime = runtime or Runtime.build(settings)
    mongo_visits, mongo_rules = MongoVisits(runtime.dbs), MongoRules(runtime.dbs)
    deps = SurveyDeps(
        hosted=list(settings.hosted_tenants), visits=visits or mongo_visits, rules=rules or mongo_rules,
        publish=runtime.publisher.publish, metrics=SurveyMetrics(runtime.metrics.registry, settings.service_name),
    )

    async def prepare(rt: Runtime) -> None:
        for tenant in rt.settings.hosted_tenants:
            if visits is None:
                await mongo_visits.ensure_indexes(tenant)
            if rules is None:
                await mongo_rules.ensure_indexes(tenant)
            await deps.rules.ensure_default(default_table(tenant))
            await refresh_ratio(tenant, repo=deps.visits, metrics=deps.metrics)

    runtime.startup_hooks.append(prepare)
    consumers.register(runtime, deps, group_prefix=group_prefix)
    routers = [http.router(deps, runtime.audit), rules_http.router(deps, runtime.audit)]
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
