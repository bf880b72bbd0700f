"""What the analytics use cases need from storage and the org tree (ports)."""

from __future__ import annotations

from typing import Any, Protocol

from analytics.domain.aggregates import Increment
from servicekit.tenancy import OrgTree


class AggregateStore(Protocol):
    """Daily aggregates and per-order facts, one tenant at a time (tenant first in every call)."""

    async def add(self, tenant: str, inc: Increment) -> None: ...

    async def upsert_fact(self, tenant: str, fact: dict[str, Any]) -> None: ...

    async def business_type_of(self, tenant: str, ticket_id: str) -> str | None: ...

    async def rows(self, tenant: str, start: str, end: str) -> list[dict[str, Any]]: ...

    async def facts(self, tenant: str, start: str, end: str, limit: int) -> list[dict[str, Any]]: ...


class TreeSource(Protocol):
    """The org-unit tree reports roll up (省 → 市 → 县), as current as its source allows."""

    async def current(self) -> OrgTree: ...
