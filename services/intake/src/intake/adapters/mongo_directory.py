"""Mongo adapters for the customer registry, the active-outage projection and the knowledge base."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from intake.domain.knowledge import Article
from intake.domain.model import ActiveOutage, Customer
from servicekit.batching import Coalescer
from servicekit.mongo import TenantDatabases

CUSTOMERS = "customers"
ROUTES = "account_routes"
OUTAGES = "active_outages"
ARTICLES = "kb_articles"
_CUSTOMER_FIELDS = {f.name for f in fields(Customer)}
_OUTAGE_FIELDS = {f.name for f in fields(ActiveOutage)}
_ARTICLE_FIELDS = {f.name for f in fields(Article)}


def customer_of(doc: dict[str, Any]) -> Customer:
    return Customer(**{k: v for k, v in doc.items() if k in _CUSTOMER_FIELDS})


class MongoCustomers:
    """客户档案库: the seeded `customers` collection plus a platform routing table (account → tenant, no personal data).

    Account look-ups that arrive together are answered by one `$in` query (at most `max_batch`
    accounts: SecantusDB checks every candidate against the whole list).
    """

    def __init__(self, dbs: TenantDatabases, *, max_batch: int = 16) -> None:
        self.dbs = dbs
        self.max_batch = max_batch
        self._lookups: dict[str, Coalescer[str, Customer | None]] = {}

    async def ensure_indexes(self, tenant: str) -> None:
        col = self.dbs.for_tenant(tenant)[CUSTOMERS]
        await col.create_index([("tenant", 1), ("account_no", 1)], unique=True)
        await col.create_index([("tenant", 1), ("phone", 1)])

    async def by_account(self, tenant: str, account_no: str) -> Customer | None:
        lookups = self._lookups.get(tenant)
        if lookups is None:
            lookups = self._lookups[tenant] = Coalescer(
                lambda accounts: self._by_accounts(tenant, accounts), max_batch=self.max_batch, max_in_flight=1
            )
        return await lookups.submit(account_no)

    async def _by_accounts(self, tenant: str, accounts: list[str]) -> list[Customer | None]:
        wanted = sorted(set(accounts))
        match: Any = wanted[0] if len(wanted) == 1 else {"$in": wanted}
        cursor = self.dbs.for_tenant(tenant)[CUSTOMERS].find({"tenant": tenant, "account_no": match})
        found = {doc["account_no"]: customer_of(doc) for doc in await cursor.to_list()}  # one await, not one per document
        return [found.get(account) for account in accounts]

    async def by_phone(self, tenant: str, phone: str) -> list[Customer]:
        cursor = self.dbs.for_tenant(tenant)[CUSTOMERS].find({"tenant": tenant, "phone": phone}).limit(20)
        return [customer_of(d) async for d in cursor]

    async def by_address(self, tenant: str, text: str, limit: int) -> list[Customer]:
        query = {"tenant": tenant, "address": {"$regex": re.escape(text)}}
        return [customer_of(d) async for d in self.dbs.for_tenant(tenant)[CUSTOMERS].find(query).limit(limit)]

    async def upsert(self, tenant: str, customer: Customer, updated_at: datetime) -> bool:
        col = self.dbs.for_tenant(tenant)[CUSTOMERS]
        current = await col.find_one({"tenant": tenant, "account_no": customer.account_no}, {"updated_at": 1})
        if current and current.get("updated_at") and current["updated_at"] > updated_at:
            return False  # an older record arriving late never overwrites a newer one
        await col.update_one(
            {"tenant": tenant, "account_no": customer.account_no}, {"$set": {**asdict(customer), "updated_at": updated_at}}, upsert=True
        )
        await self.dbs.platform()[ROUTES].update_one({"_id": customer.account_no}, {"$set": {"tenant": tenant}}, upsert=True)
        return True

    async def route(self, account_no: str) -> str | None:
        doc = await self.dbs.platform()[ROUTES].find_one({"_id": account_no})
        return doc["tenant"] if doc else None


class MongoOutages:
    """在途停电投影: what outage-notice published, kept by intake for the known-outage check."""

    def __init__(self, dbs: TenantDatabases) -> None:
        self.dbs = dbs

    def _col(self, tenant: str) -> Any:
        return self.dbs.for_tenant(tenant)[OUTAGES]

    async def ensure_indexes(self, tenant: str) -> None:
        await self._col(tenant).create_index([("tenant", 1), ("outage_id", 1)], unique=True)
        await self._col(tenant).create_index([("tenant", 1), ("state", 1)])

    async def active(self, tenant: str) -> list[ActiveOutage]:
        cursor = self._col(tenant).find({"tenant": tenant, "state": "active"})
        return [self._outage(d) async for d in cursor]

    @staticmethod
    def _outage(doc: dict[str, Any]) -> ActiveOutage:
        values = {k: v for k, v in doc.items() if k in _OUTAGE_FIELDS}
        for name in ("station_codes", "feeder_codes", "ta_codes"):
            values[name] = tuple(values.get(name) or ())
        return ActiveOutage(**values)

    async def save(self, tenant: str, outage: ActiveOutage) -> None:
        """The publication: its plan fields. A start already recorded stays; an end already recorded stays ended."""
        key = {"tenant": tenant, "outage_id": outage.outage_id}
        plan = {k: v for k, v in asdict(outage).items() if k != "started"}
        await _upsert(self._col(tenant), key, {"$set": plan, "$setOnInsert": {"call_count": 0, "started": outage.started, "state": "active"}})
        await self._col(tenant).update_one({**key, "state": PENDING}, {"$set": {"state": "active"}})

    async def mark_started(self, tenant: str, outage_id: str) -> None:
        # Before its publication arrives the record is PENDING: remembered, but not linking calls (no scope yet).
        key = {"tenant": tenant, "outage_id": outage_id}
        await _upsert(self._col(tenant), key, {"$set": {"started": True}, "$setOnInsert": {"call_count": 0, "state": PENDING}})

    async def patch(self, tenant: str, outage_id: str, changes: dict[str, Any]) -> bool:
        values = {k: list(v) if isinstance(v, tuple) else v for k, v in changes.items()}
        result = await self._col(tenant).update_one({"tenant": tenant, "outage_id": outage_id, "state": "active"}, {"$set": values})
        return result.matched_count == 1

    async def end(self, tenant: str, outage_id: str, state: str, at: datetime) -> None:
        key = {"tenant": tenant, "outage_id": outage_id}
        await _upsert(self._col(tenant), key, {"$set": {"state": state, "ended_at": at}, "$setOnInsert": {"call_count": 0}})

    async def add_calls(self, tenant: str, counts: dict[str, int]) -> None:
        for outage_id, n in counts.items():
            await self._col(tenant).update_one({"tenant": tenant, "outage_id": outage_id}, {"$inc": {"call_count": n}})

    async def call_count(self, tenant: str, outage_id: str) -> int:
        doc = await self._col(tenant).find_one({"tenant": tenant, "outage_id": outage_id}, {"call_count": 1})
        return int(doc.get("call_count", 0)) if doc else 0


class MongoKnowledge:
    """知识库: one document per article version; `words` (jieba) is a multikey index for search."""

    def __init__(self, dbs: TenantDatabases) -> None:
        self.dbs = dbs

    async def ensure_indexes(self, tenant: str) -> None:
        col = self.dbs.for_tenant(tenant)[ARTICLES]
        await col.create_index([("tenant", 1), ("article_id", 1), ("version", 1)], unique=True)
        await col.create_index([("tenant", 1), ("words", 1)])

    async def save(self, article: Article) -> None:
        await self.dbs.for_tenant(article.tenant)[ARTICLES].insert_one({**asdict(article), "words": article.words()})

    async def get(self, tenant: str, article_id: str) -> Article | None:
        cursor = self.dbs.for_tenant(tenant)[ARTICLES].find({"tenant": tenant, "article_id": article_id}).sort("version", -1).limit(1)
        found = [d async for d in cursor]
        return Article(**{k: v for k, v in found[0].items() if k in _ARTICLE_FIELDS}) if found else None

    async def candidates(self, tenants: Sequence[str], words: Sequence[str]) -> list[Article]:
        out = []
        for tenant in tenants:
            cursor = self.dbs.for_tenant(tenant)[ARTICLES].find({"tenant": tenant, "words": {"$in": list(words)}}).limit(200)
            out += [Article(**{k: v for k, v in d.items() if k in _ARTICLE_FIELDS}) async for d in cursor]
        return out


PENDING = "pending"  # an outage's start or end arrived before its publication


async def _upsert(col: Any, key: dict[str, Any], update: dict[str, Any]) -> None:
    """Upsert that tolerates a concurrent upsert of the same key (two consumers, one outage): the loser updates."""
    try:
        await col.update_one(key, update, upsert=True)
    except DuplicateKeyError:
        await col.update_one(key, update)
