"""The one place that wires intake's dependencies (组装): MongoDB adapters, or in-memory fakes for unit tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry

from intake.adapters.audit import BufferedAudit
from intake.adapters.cache import CachedRules, CallCounter, OutageCache
from intake.adapters.memory import (
    MemoryAudit,
    MemoryCustomers,
    MemoryKnowledge,
    MemoryNumbers,
    MemoryOutages,
    MemoryTickets,
    default_rules,
)
from intake.adapters.mongo import BlockNumbers, MongoTickets
from intake.adapters.mongo_directory import MongoCustomers, MongoKnowledge, MongoOutages
from intake.deps import Deps
from intake.domain.catalog import RULE_TABLE_CHECKS
from intake.domain.model import ActiveOutage, Customer
from intake.metrics import IntakeMetrics
from intake.routing import TenantRouting
from intake.settings import Settings
from servicekit.errors import FieldError
from servicekit.rules import MemoryRuleStore, RuleStore, Validator
from servicekit.rules_check import verify_stored
from servicekit.rules_mongo import MongoRuleStore
from servicekit.runtime import Runtime, for_each_tenant
from servicekit.uow import MemoryOutbox


def _validator(name: str) -> Validator:
    def check(tenant: str, version: Mapping[str, Any]) -> list[FieldError]:
        return [FieldError(p.loc, p.message_zh, p.message_en) for p in RULE_TABLE_CHECKS[name](version["rows"])]

    return check


RULE_TABLES: dict[str, Validator] = {name: _validator(name) for name in RULE_TABLE_CHECKS}  # intake's tables in servicekit.rules


def utc_now() -> datetime:
    return datetime.now(UTC)


def bootstrap(settings: Settings, runtime: Runtime) -> Deps:
    """MongoDB adapters: each order stored with its events (registered with the runtime's outbox relay)."""
    tickets, outages = MongoTickets(runtime.dbs, runtime.outbox), MongoOutages(runtime.dbs)
    rules = MongoRuleStore(runtime.dbs, RULE_TABLES, audit=runtime.audit)
    customers, knowledge = MongoCustomers(runtime.dbs), MongoKnowledge(runtime.dbs)
    hosted = list(settings.hosted_tenants)
    background = Background(BufferedAudit(runtime.dbs, settings.service_name), CallCounter(outages), settings.flush_seconds)
    deps = Deps(
        hosted=hosted, tickets=tickets, customers=customers, outages=OutageCache(outages, settings.outage_cache_seconds),
        outage_projection=outages, calls=background.calls, numbers=BlockNumbers(runtime.dbs, settings.order_number_block),
        rules=CachedRules(rules, settings.rules_cache_seconds), rules_admin=rules, knowledge=knowledge, audit=background.audit,
        routing=TenantRouting(customers, hosted), metrics=IntakeMetrics(runtime.metrics.registry, settings.service_name),
        clock=utc_now, stop_background=background.stop,
    )

    async def prepare_tenant(tenant: str) -> None:
        await tickets.ensure_indexes(tenant)
        await customers.ensure_indexes(tenant)
        await outages.ensure_indexes(tenant)
        await knowledge.ensure_indexes(tenant)
        await _load_default_rules(rules, tenant)

    async def prepare(rt: Runtime) -> None:
        await for_each_tenant(list(hosted), prepare_tenant)
        background.start()

    runtime.startup_hooks.append(prepare)
    return deps


class Background:
    """Audit records and outage call counts, written in batches while running and flushed at stop."""

    def __init__(self, audit: BufferedAudit, calls: CallCounter, interval: float) -> None:
        self.audit, self.calls, self.interval = audit, calls, interval
        self.tasks: list[asyncio.Task[Any]] = []

    def start(self) -> None:
        if not self.tasks:
            self.tasks = [asyncio.create_task(self.audit.run(self.interval)), asyncio.create_task(self.calls.run(self.interval))]

    async def stop(self) -> None:
        """Flush audit records and call counts; the runtime drains the outbox relay after this."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._flush(), timeout=5.0)

    async def _flush(self) -> None:
        await self.audit.flush()
        await self.calls.flush()


async def _load_default_rules(rules: RuleStore, tenant: str) -> None:
    """Shipped defaults go into a tenant that has no version of a table yet (never over an edited one);
    then every stored version still in force must pass today's checks (business catalogue codes), or the start fails."""
    await rules.ensure_defaults(tenant, default_rules())
    await verify_stored(rules, RULE_TABLES, tenant, utc_now())


def fake_bootstrap(
    hosted: Sequence[str] = ("37", "3701", "370102", "370124"), *, customers: Sequence[Customer] = (),
    outages: Sequence[ActiveOutage] = (), outbox: MemoryOutbox | None = None, clock: Callable[[], datetime] = utc_now,
    registry: CollectorRegistry | None = None,
) -> Deps:
    """In-memory fakes with the shipped rule tables and no caching; committed events go to `outbox`.

    Stored orders are `deps.tickets.tickets`, their events `deps.tickets.events_of(topic)`, audit records
    `deps.audit.records`, the outage projection `deps.outage_projection`.
    """
    projection, directory = MemoryOutages(), MemoryCustomers(customers)
    for outage in outages:
        projection.outages[(outage.tenant, outage.outage_id)] = outage
    rules = MemoryRuleStore(RULE_TABLES, defaults=default_rules())
    return Deps(
        hosted=list(hosted), tickets=MemoryTickets(outbox), customers=directory, outages=OutageCache(projection, ttl=0),
        outage_projection=projection, calls=CallCounter(projection), numbers=MemoryNumbers(), rules=CachedRules(rules, ttl=0),
        rules_admin=rules, knowledge=MemoryKnowledge(), audit=MemoryAudit(), routing=TenantRouting(directory, list(hosted)),
        metrics=IntakeMetrics(registry or CollectorRegistry()), clock=clock,
    )
