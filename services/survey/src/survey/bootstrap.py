"""The one place that wires survey's dependencies (组装): MongoDB adapters, or in-memory fakes for unit tests."""

from __future__ import annotations

from collections.abc import Sequence

from servicekit.rules import MemoryRuleStore
from servicekit.rules_mongo import MongoRuleStore
from servicekit.runtime import Runtime
from servicekit.uow import MemoryOutbox
from survey.adapters.memory import MemoryUnitOfWork, MemoryVisits, RecordingMetrics
from survey.adapters.mongo import VISITS, MongoUnitOfWork, MongoVisits
from survey.deps import RULE_TABLES, Deps, default_rules, utc_now
from survey.metrics import SurveyMetrics
from survey.ports import Clock, SurveyMetricsPort
from survey.settings import Settings


def bootstrap(settings: Settings, runtime: Runtime) -> Deps:
    """MongoDB adapters; each visit is stored with its events and published by the runtime's outbox relay."""
    runtime.outbox.register(VISITS, appends=True)  # a visit gains its result's event after it was inserted
    visits, rules = MongoVisits(runtime.dbs), MongoRuleStore(runtime.dbs, RULE_TABLES, audit=runtime.audit)

    async def indexes(rt: Runtime) -> None:
        for tenant in rt.settings.hosted_tenants:
            await visits.ensure_indexes(tenant)

    runtime.startup_hooks.append(indexes)
    return Deps(
        hosted=list(settings.hosted_tenants), uow=lambda tenant: MongoUnitOfWork(tenant, visits, runtime.outbox),
        visits=visits, rules=rules, metrics=SurveyMetrics(runtime.metrics.registry, settings.service_name),
    )


def fake_bootstrap(
    hosted: Sequence[str] = ("37", "3701", "370102", "370124"), *, outbox: MemoryOutbox | None = None,
    metrics: SurveyMetricsPort | None = None, clock: Clock = utc_now,
) -> Deps:
    """In-memory fakes, every tenant with the shipped rule tables; committed events go to `outbox`.

    Stored visits are `deps.visits.rows`, rule table versions `deps.rules.stored`.
    """
    visits, events = MemoryVisits(), outbox if outbox is not None else MemoryOutbox()
    rules = MemoryRuleStore(RULE_TABLES, defaults=default_rules())
    return Deps(
        hosted=list(hosted), uow=lambda tenant: MemoryUnitOfWork(tenant, visits, events), visits=visits, rules=rules,
        metrics=metrics if metrics is not None else RecordingMetrics(), clock=clock,
    )
