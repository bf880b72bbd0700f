"""The rule store on MongoDB (规则表): versions in `rules_<table>` of each tenant's own database.

The semantics are `servicekit.rules`' (`BaseRuleStore`); this module only stores and finds versions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from servicekit.mongo import Document, TenantDatabases
from servicekit.rules import AuditSink, BaseRuleStore, Validator, public_version


class MongoRuleStore(BaseRuleStore):
    """Versions in `rules_<table>` of the tenant's database, unique on (tenant, version)."""

    def __init__(self, dbs: TenantDatabases, tables: Mapping[str, Validator], *, audit: AuditSink | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        super().__init__(tables, audit=audit, clock=clock)
        self.dbs = dbs
        self._indexed: set[tuple[str, str]] = set()

    def _col(self, tenant: str, table: str) -> AsyncCollection[Document]:
        return self.dbs.for_tenant(tenant)[f"rules_{table}"]

    async def _latest(self, tenant: str, table: str) -> dict[str, Any] | None:
        """Every write starts here, so the unique version index is in place before the first insert."""
        col = self._col(tenant, table)
        if (tenant, table) not in self._indexed:
            await col.create_index([("tenant", ASCENDING), ("version", ASCENDING)], unique=True)
            self._indexed.add((tenant, table))
        return await col.find_one({"tenant": tenant}, {"_id": 0}, sort=[("version", DESCENDING)])

    async def _insert(self, doc: dict[str, Any]) -> bool:
        try:
            await self._col(doc["tenant"], doc["table"]).insert_one(dict(doc))
        except DuplicateKeyError:
            return False
        return True

    async def _close(self, tenant: str, table: str, below: int, at: datetime) -> None:
        filt = {"tenant": tenant, "version": {"$lt": below}, "effective_to": None}
        await self._col(tenant, table).update_many(filt, {"$set": {"effective_to": at}})

    async def _in_force(self, tenant: str, table: str, at: datetime) -> dict[str, Any] | None:
        filt = {"tenant": tenant, "effective_from": {"$lte": at}, "$or": [{"effective_to": None}, {"effective_to": {"$gt": at}}]}
        return await self._col(tenant, table).find_one(filt, {"_id": 0}, sort=[("version", DESCENDING)])

    async def versions(self, tenant: str, table: str, since: datetime | None = None) -> list[dict[str, Any]]:
        """Oldest first; with `since`, only those still in force at or after it."""
        self._known(table)
        filt: dict[str, Any] = {"tenant": tenant}
        if since is not None:
            filt["$or"] = [{"effective_to": None}, {"effective_to": {"$gt": since}}]
        cursor = self._col(tenant, table).find(filt, {"_id": 0}).sort("version", ASCENDING)
        return [public_version(doc, table) async for doc in cursor]
