"""The one place that builds dispatch's dependencies: MongoDB adapters for the service, in-memory fakes for tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources

from dispatch.adapters.held_reports import MemoryHeldReports, MongoHeldReports
from dispatch.adapters.memory import MemoryCrews, MemoryHandovers, MemoryOrders, MemoryUnitOfWork
from dispatch.adapters.mongo import MongoCrews, MongoHandovers, MongoOrders
from dispatch.adapters.mongo_uow import MongoUnitOfWork
from dispatch.adapters.outage_outcomes import MemoryOutageOutcomes, MongoOutageOutcomes
from dispatch.deps import Deps
from dispatch.domain.rules import TABLES, VALIDATORS
from dispatch.metrics import DispatchMetrics
from dispatch.ports import Clock
from dispatch.settings import Settings
from servicekit.calendar_store import calendar_defaults, watch_years
from servicekit.calendar_watch import CalendarWatch
from servicekit.rules import CachedRuleStore, MemoryRuleStore
from servicekit.rules_check import verify_stored
from servicekit.rules_mongo import MongoRuleStore
from servicekit.runtime import Runtime, for_each_tenant
from servicekit.uow import MemoryOutbox

RULES_CACHE_SECONDS = 5.0  # routing reads a rule table for every new ticket; a save here shows at once


def default_rules() -> dict[str, list[dict]]:
    """The rule tables shipped as data (RULES.md numbers), loaded into tenants that have none."""
    text = resources.files("dispatch").joinpath("data/default_rules.json").read_text(encoding="utf-8")
    shipped = {name: rows for name, rows in json.loads(text).items() if name in TABLES}
    return {**calendar_defaults(), **shipped}  # the holiday schedule ships with the kit (servicekit/data)


def bootstrap(settings: Settings, runtime: Runtime) -> Deps:
    """MongoDB repositories whose writes carry their events to the runtime's outbox relay.

    Registers the work-order and handover collections with the relay (before the runtime starts it)
    and a start-up hook: indexes, default rule tables, and the caches routing reads per new ticket.
    """
    orders, handovers = MongoOrders(runtime.dbs, runtime.outbox), MongoHandovers(runtime.dbs, runtime.outbox)
    rules = CachedRuleStore(MongoRuleStore(runtime.dbs, VALIDATORS, audit=runtime.audit), RULES_CACHE_SECONDS)
    crews, held = MongoCrews(runtime.dbs), MongoHeldReports(runtime.dbs)
    deps = Deps(
        uow=lambda tenant: MongoUnitOfWork(tenant, orders, handovers), orders=orders, handovers=handovers,
        rules=rules, crews=crews, outcomes=MongoOutageOutcomes(runtime.dbs, lambda: datetime.now(UTC)),
        clock=lambda: datetime.now(UTC), metrics=DispatchMetrics.create(runtime.metrics.registry),
        held=held, crew_hold_seconds=settings.crew_event_hold_seconds,
        calendar_watch=CalendarWatch(runtime.metrics.registry),
    )

    async def prepare(rt: Runtime) -> None:
        tables, now = default_rules(), datetime.now(UTC)

        async def prepare_tenant(tenant: str) -> None:
            await orders.ensure_indexes(tenant)
            await handovers.ensure_indexes(tenant)
            await held.ensure_indexes(tenant)
            await rules.ensure_defaults(tenant, tables)
            await verify_stored(rules, VALIDATORS, tenant, now)  # a table saved before today's checks stops the start
            await _warm_caches(tenant, deps, now)

        await for_each_tenant(list(settings.hosted_tenants), prepare_tenant)
        await watch_years(rules, deps.calendar_watch, settings.hosted_tenants, now)

    runtime.startup_hooks.append(prepare)
    return deps


async def _warm_caches(tenant: str, deps: Deps, now: datetime) -> None:
    """Read what routing a new ticket needs before consuming starts, so the first tickets do not wait for it."""
    await deps.rules.active(tenant, "routing", now)
    stations = await deps.crews.stations(tenant)
    await asyncio.gather(*(deps.crews.on_duty(tenant, station, now) for station in stations))
    await deps.orders.workload(tenant, [code for codes in stations.values() for code in codes])


def fake_bootstrap(
    *, clock: Clock, outbox: MemoryOutbox | None = None, crews: Sequence[dict] = (), rosters: Sequence[dict] = (),
    rules: dict[str, list[dict]] | None = None,
) -> Deps:
    """In-memory fakes: committed events land in `outbox` (a MemoryOutbox the test keeps), rules default to the shipped ones."""
    outbox = outbox if outbox is not None else MemoryOutbox()
    orders, handovers = MemoryOrders(outbox), MemoryHandovers(outbox)
    return Deps(
        uow=lambda tenant: MemoryUnitOfWork(tenant, orders, handovers), orders=orders, handovers=handovers,
        rules=MemoryRuleStore(VALIDATORS, defaults=default_rules() if rules is None else rules), crews=MemoryCrews(list(crews), list(rosters)),
        outcomes=MemoryOutageOutcomes(), clock=clock, metrics=DispatchMetrics.create(), held=MemoryHeldReports(),
    )
