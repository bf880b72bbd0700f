"""The one place that wires analytics' dependencies (组装): MongoDB adapters, or in-memory fakes for unit tests."""

from __future__ import annotations

from analytics.adapters.memory import FixedTree, MemoryAggregates
from analytics.adapters.mongo import MongoAggregates, StoredTree
from analytics.deps import Deps
from analytics.settings import Settings
from servicekit.runtime import Runtime
from servicekit.tenancy import OrgTree, load_org_tree


def bootstrap(settings: Settings, runtime: Runtime) -> Deps:
    """MongoDB aggregates in each tenant's database; the org tree from the platform database."""
    store = MongoAggregates(runtime.dbs)
    tree = StoredTree(lambda: load_org_tree(runtime.dbs.platform(), settings), OrgTree.from_codes(settings.hosted_tenants))

    async def prepare(rt: Runtime) -> None:
        await tree.load_now()
        for tenant in rt.settings.hosted_tenants:
            await store.ensure_indexes(tenant)

    runtime.startup_hooks.append(prepare)
    return Deps(hosted=list(settings.hosted_tenants), store=store, tree=tree, report_max_days=settings.report_max_days,
                export_max_rows=settings.export_max_rows)


def fake_bootstrap(settings: Settings | None = None, *, tree: OrgTree | None = None) -> Deps:
    """In-memory aggregates (`deps.store.daily`, `deps.store.facts_by_id`); the tree given, else the hosted codes'."""
    settings = settings or Settings()
    return Deps(hosted=list(settings.hosted_tenants), store=MemoryAggregates(),
                tree=FixedTree(tree or OrgTree.from_codes(settings.hosted_tenants)),
                report_max_days=settings.report_max_days, export_max_rows=settings.export_max_rows)
