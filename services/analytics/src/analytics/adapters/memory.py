"""In-memory aggregates and org tree for unit tests (same behaviour as the Mongo adapters); `fake_bootstrap` wires them."""

from __future__ import annotations

from typing import Any

from analytics.domain.aggregates import Increment
from servicekit.tenancy import OrgTree


class FixedTree:
    """An org tree that never changes (unit tests set `tree`)."""

    def __init__(self, tree: OrgTree) -> None:
        self.tree = tree

    async def current(self) -> OrgTree:
        return self.tree


class MemoryAggregates:
    def __init__(self) -> None:
        self.daily: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.facts_by_id: dict[tuple[str, str], dict[str, Any]] = {}

    async def add(self, tenant: str, inc: Increment) -> None:
        row = self.daily.setdefault((tenant, inc.day, inc.business_type), {"tenant": tenant, "day": inc.day, "business_type": inc.business_type})
        for name, n in inc.counts.items():
            row[name] = row.get(name, 0) + n
        if inc.channel:
            channels = row.setdefault("channels", {})
            channels[inc.channel] = channels.get(inc.channel, 0) + 1

    async def upsert_fact(self, tenant: str, fact: dict[str, Any]) -> None:
        self.facts_by_id.setdefault((tenant, fact["ticket_id"]), {"tenant": tenant}).update(fact)

    async def business_type_of(self, tenant: str, ticket_id: str) -> str | None:
        fact = self.facts_by_id.get((tenant, ticket_id))
        return fact.get("business_type") if fact else None

    async def rows(self, tenant: str, start: str, end: str) -> list[dict[str, Any]]:
        return [dict(r) for (t, day, _), r in self.daily.items() if t == tenant and start <= day <= end]

    async def facts(self, tenant: str, start: str, end: str, limit: int) -> list[dict[str, Any]]:
        found = [dict(f) for (t, _), f in self.facts_by_id.items() if t == tenant and "accepted_at" in f and start <= f["day"] <= end]
        return sorted(found, key=lambda f: f["accepted_at"])[:limit]
