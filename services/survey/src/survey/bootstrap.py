"""The one place that wires survey's dependencies (组装): MongoDB adapters, or in-memory fakes for unit tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from servicekit.runtime import Runtime
from servicekit.uow import MemoryOutbox
from survey.adapters.memory import MemoryRules, MemoryUnitOfWork, MemoryVisits, RecordingMetrics
from survey.adapters.mongo import VISITS, MongoRules, MongoUnitOfWork, MongoVisits
from survey.deps import Deps, default_table, utc_now
from survey.domain.calendar import is_workday
from survey.metrics import SurveyMetrics
from survey.ports import Clock, SurveyMetricsPort
from survey.settings import Settings


def bootstrap(settings: Settings, runtime: Runtime) -> Deps:
    """MongoDB adapters; each visit is stored with its events and published by the runtime's outbox relay."""
    runtime.outbox.register(VISITS, appends=True)  # a visit gains its result's event after it was inserted
    visits, rules = MongoVisits(runtime.dbs), MongoRules(runtime.dbs)

    async def indexes(rt: Runtime) -> None:
        for tenant in rt.settings.hosted_tenants:
            await visits.ensure_indexes(tenant)
            await rules.ensure_indexes(tenant)

    runtime.startup_hooks.append(indexes)
    return Deps(
        hosted=list(settings.hosted_tenants), uow=lambda tenant: MongoUnitOfWork(tenant, visits, runtime.outbox),
        visits=visits, rules=rules, metrics=SurveyMetrics(runtime.metrics.registry, settings.service_name),
    )


def fake_bootstrap(
    hosted: Sequence[str] = ("37", "3701", "370102", "370124"), *, outbox: MemoryOutbox | None = None,
    metrics: SurveyMetricsPort | None = None, clock: Clock = utc_now, workday: Callable[[date], bool] = is_workday,
) -> Deps:
    """In-memory fakes, each hosted tenant with the shipped rule table; committed events go to `outbox`.

    Stored visits are `deps.visits.rows`, rule tables `deps.rules.tables`.
    """
    visits, rules, events = MemoryVisits(), MemoryRules(), outbox if outbox is not None else MemoryOutbox()
    for tenant in hosted:
        rules.tables[tenant] = [default_table(tenant)]
    return Deps(
        hosted=list(hosted), uow=lambda tenant: MemoryUnitOfWork(tenant, visits, events), visits=visits, rules=rules,
        metrics=metrics if metrics is not None else RecordingMetrics(), clock=clock, is_workday=workday,
    )
