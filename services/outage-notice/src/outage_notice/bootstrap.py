"""The one place that builds the use cases' dependencies: MongoDB adapters (`bootstrap`) or in-memory fakes.

`bootstrap` registers the collections whose writes carry events with the process's outbox relay
(before the runtime starts it): `outages` (events appended by each lifecycle step) and
`notice_batches` (a batch's result events, set once when it is finished; see `adapters.mongo_batches`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from outage_notice.adapters.gateway import FileSinkGateway, HttpSmsGateway
from outage_notice.adapters.linked_calls import MemoryOutageCalls, MongoOutageCalls
from outage_notice.adapters.memory import (
    MemoryDirectory,
    MemoryOutageUnitOfWork,
    MemoryStore,
    RecordingGateway,
)
from outage_notice.adapters.mongo import OUTAGES, MongoOutages
from outage_notice.adapters.mongo_batches import BATCHES, MongoNoticeQueue
from outage_notice.adapters.mongo_directory import MongoDirectory
from outage_notice.adapters.mongo_uow import MongoOutageUnitOfWork
from outage_notice.deps import Deps
from outage_notice.index import OutageIndex
from outage_notice.metrics import OutageMetrics
from outage_notice.ports import Clock, CustomerDirectory, NoticeGateway
from outage_notice.rule_tables import RULE_TABLES
from outage_notice.settings import Settings
from servicekit.rules import MemoryRuleStore, RuleStore
from servicekit.rules_mongo import MongoRuleStore
from servicekit.runtime import Runtime, for_each_tenant

DEFAULT_RULES = Path(__file__).with_name("rules_default.json")


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def make_gateway(settings: Settings) -> NoticeGateway:
    if settings.notify_gateway == "http_sms" and settings.sms_gateway_url:
        password = settings.sms_gateway_password.get_secret_value() if settings.sms_gateway_password else None
        return HttpSmsGateway(settings.sms_gateway_url, settings.sms_gateway_username, password)
    return FileSinkGateway(settings.notify_sink_dir)


def bootstrap(settings: Settings, runtime: Runtime) -> Deps:
    """MongoDB adapters on the runtime's databases and outbox relay; indexes and default rules at start-up."""
    runtime.outbox.register(OUTAGES, appends=True)
    runtime.outbox.register(BATCHES)
    outages = MongoOutages(runtime.dbs, runtime.outbox)
    queue = MongoNoticeQueue(runtime.dbs, chunk=settings.notice_chunk_size, outbox=runtime.outbox)
    directory = MongoDirectory(
        runtime.dbs, cache_size=settings.place_cache_size, cache_ttl_seconds=settings.place_cache_ttl_seconds
    )
    metrics = OutageMetrics(runtime.metrics.registry, settings.service_name)
    calls = MongoOutageCalls(runtime.dbs)
    deps = Deps(
        uow=lambda tenant: MongoOutageUnitOfWork(tenant, outages, queue),
        outages=outages, notices=queue, directory=directory, gateway=make_gateway(settings),
        rules=MongoRuleStore(runtime.dbs, RULE_TABLES, audit=runtime.audit),
        clock=SystemClock(), index=OutageIndex(outages, metrics), calls=calls, metrics=metrics,
        tz=ZoneInfo(settings.display_timezone),
    )
    runtime.startup_hooks.append(_prepare(settings, deps, [outages, directory, queue, calls]))
    return deps


def default_rules() -> dict[str, Any]:
    """The rule tables shipped as data (rules_default.json), loaded into tenants that have none."""
    shipped: dict[str, Any] = json.loads(DEFAULT_RULES.read_text(encoding="utf-8"))
    return shipped


def _prepare(settings: Settings, deps: Deps, adapters: list[Any]) -> Callable[[Runtime], Awaitable[None]]:
    defaults = default_rules()

    async def prepare(_: Runtime) -> None:
        """Indexes (every one starts with tenant) and the shipped rule tables, per hosted tenant."""
        async def prepare_tenant(tenant: str) -> None:
            for adapter in adapters:
                await adapter.ensure_indexes(tenant)
            await deps.rules.ensure_defaults(tenant, defaults)
            await deps.index.reload(tenant)

        await for_each_tenant(list(settings.hosted_tenants), prepare_tenant)

    return prepare


def fake_bootstrap(
    *, clock: Clock, store: MemoryStore | None = None, directory: CustomerDirectory | None = None,
    rules: RuleStore | None = None, gateway: NoticeGateway | None = None, metrics: OutageMetrics | None = None,
    tz: ZoneInfo | None = None,
) -> Deps:
    """The same Deps on in-memory fakes: committed state and events land in `store` (its `outbox` lists the events)."""
    store = store or MemoryStore()
    return Deps(
        uow=lambda tenant: MemoryOutageUnitOfWork(tenant, store),
        outages=store.outages, notices=store.notices, directory=directory or MemoryDirectory(), rules=rules or MemoryRuleStore(RULE_TABLES, defaults=default_rules()),
        gateway=gateway or RecordingGateway(), clock=clock, index=OutageIndex(store.outages, metrics), calls=MemoryOutageCalls(), metrics=metrics,
        tz=tz or ZoneInfo("Asia/Shanghai"),
    )
