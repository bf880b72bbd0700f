"""来电关联 (collection `outage_calls`): one document per linked ticket (`_id` = ticket id), so a redelivered
or repeated link counts once; read per outage (count for the outage view, callers' accounts at restoration)."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from servicekit.mongo import TenantDatabases

CALLS = "outage_calls"


class MongoOutageCalls:
    def __init__(self, dbs: TenantDatabases) -> None:
        self.dbs = dbs

    def _col(self, tenant: str):
        return self.dbs.for_tenant(tenant)[CALLS]

    async def ensure_indexes(self, tenant: str) -> None:
        await self._col(tenant).create_index([("outage_id", ASCENDING)])  # one database per tenant: no tenant key

    async def record(self, tenant: str, outage_id: str, ticket_id: str, account_no: str | None, at: datetime) -> bool:
        doc = {"_id": ticket_id, "tenant": tenant, "outage_id": outage_id, "ticket_id": ticket_id,
               "account_no": account_no, "at": at}
        try:
            await self._col(tenant).insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def count(self, tenant: str, outage_id: str) -> int:
        return int(await self._col(tenant).count_documents({"outage_id": outage_id}))

    async def callers(self, tenant: str, outage_id: str) -> list[str]:
        cursor = self._col(tenant).find({"outage_id": outage_id, "account_no": {"$ne": None}}, {"_id": 0, "account_no": 1},
                                        batch_size=5000)
        return sorted({doc["account_no"] async for doc in cursor})


class MemoryOutageCalls:
    def __init__(self) -> None:
        self.calls: dict[tuple[str, str], dict] = {}

    async def record(self, tenant: str, outage_id: str, ticket_id: str, account_no: str | None, at: datetime) -> bool:
        if (tenant, ticket_id) in self.calls:
            return False
        self.calls[(tenant, ticket_id)] = {"outage_id": outage_id, "account_no": account_no, "at": at}
        return True

    async def count(self, tenant: str, outage_id: str) -> int:
        return sum(1 for (t, _), c in self.calls.items() if t == tenant and c["outage_id"] == outage_id)

    async def callers(self, tenant: str, outage_id: str) -> list[str]:
        return sorted({c["account_no"] for (t, _), c in self.calls.items()
                       if t == tenant and c["outage_id"] == outage_id and c["account_no"]})
