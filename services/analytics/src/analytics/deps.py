"""What the entrypoints share: the store, the org tree (loaded at start-up, refreshed now and then) and the limits."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from analytics.ports import AggregateStore
from analytics.service import Scope
from analytics.settings import Settings
from servicekit.audit import AuditLog
from servicekit.tenancy import OrgTree

TREE_TTL_SECONDS = 300.0  # the tree changes when companies are added: re-read it now and then
IMPLIED_TREE_TTL_SECONDS = 10.0  # no stored tree yet (seeding still running): look again soon


@dataclass
class AnalyticsDeps:
    settings: Settings
    store: AggregateStore
    audit: AuditLog
    tree: OrgTree
    load_tree: Callable[[], Awaitable[OrgTree]] | None = None
    _loaded_at: float = field(default=-1e9, repr=False)

    async def refresh_tree(self) -> None:
        """Reload the stored tree when stale; on failure keep the tree already held."""
        ttl = TREE_TTL_SECONDS if self.tree.stored else IMPLIED_TREE_TTL_SECONDS
        if self.load_tree is None or time.monotonic() - self._loaded_at < ttl:
            return
        try:
            self.tree = await self.load_tree()
            self._loaded_at = time.monotonic()
        except Exception:  # noqa: BLE001 - a report still answers from the tree it has
            self._loaded_at = time.monotonic() - ttl + min(ttl, 5.0)

    async def load_now(self, load: Callable[[], Awaitable[OrgTree]]) -> None:
        """At start-up: a broken tree raises (the service stays unready) instead of being ignored."""
        self.load_tree = load
        self.tree = await load()
        self._loaded_at = time.monotonic()

    async def scope(self) -> Scope:
        await self.refresh_tree()
        return Scope(tree=self.tree, hosted=frozenset(self.settings.hosted_tenants), max_days=self.settings.report_max_days)
