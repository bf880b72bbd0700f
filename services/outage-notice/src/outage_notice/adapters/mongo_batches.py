"""The notice queue as batches (通知批次): a handful of writes per outage instead of one document per message.

One `notice_batches` document per (tenant, outage, notice kind, channel, chunk of ≤ 1,000 recipients) holds
the account numbers and their channel addresses (phones stay in the stored batch, never in logs or events).
The batches of one (tenant, outage, notice kind) are also its ledger: a (account, channel) already inside
one of them is never queued again. A short lease in `notice_ledgers` serialises concurrent enqueues of the
same ledger (two replicas' schedulers, a redelivered event), so the read-then-insert cannot race.
Sending claims a whole batch with one `update_one` on `_id` + state and stores all its results with one more,
which also stores the batch's result events (`notification.sent.v1`, one per recipient and channel).

A batch gains events exactly once, when it is finished, and may hold a thousand: the finishing update sets
them as an insert would (`OutboxRelay.stamp` into its `$set`), and the collection is registered without
`appends`, so a stopped relay's batches are found through the `(outbox_owner, outbox_at)` index. Appended
events are cut to a document's latest 32 (`servicekit.outbox.KEEP_APPENDED`), which would drop results.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from hotline_contracts import Envelope
from outage_notice.domain.notices import Notice, NoticeKind
from servicekit.errors import conflict
from servicekit.mongo import TenantDatabases
from servicekit.outbox import OutboxRelay

BATCHES = "notice_batches"
LEDGERS = "notice_ledgers"
MAX_CHUNK = 1000
_WITHOUT_EVENTS = {"outbox": 0}


def batch_docs(tenant: str, notices: list[Notice], chunk: int, now: datetime) -> list[dict[str, Any]]:
    """Group by everything a batch shares (channel, due time, urgency, kind), then cut into chunks."""
    groups: dict[tuple[Any, ...], list[Notice]] = {}
    for n in notices:
        groups.setdefault((n.outage_id, n.stored_kind, n.kind.value, n.version, n.channel, n.due_at, n.urgent), []).append(n)
    docs = []
    for (outage_id, stored_kind, kind, version, channel, due_at, urgent), group in groups.items():
        for start in range(0, len(group), chunk):
            part = group[start : start + chunk]
            docs.append({
                "_id": f"{outage_id}|{stored_kind}|{channel}|{uuid.uuid4().hex[:12]}", "tenant": tenant,
                "outage_id": outage_id, "notice_kind": stored_kind, "kind": kind, "version": version, "channel": channel,
                "due_at": due_at, "urgent": urgent, "state": "queued", "count": len(part), "created_at": now,
                "accounts": [n.account_no for n in part], "addresses": [n.phone for n in part],
            })
    return docs


def notices_of(doc: dict[str, Any]) -> list[Notice]:
    kind, batch = NoticeKind(doc["kind"]), doc["_id"]
    return [
        Notice(doc["tenant"], doc["outage_id"], kind, account, doc["channel"], doc["due_at"], doc["urgent"], address,
               doc.get("version", 0), batch_id=batch)
        for account, address in zip(doc["accounts"], doc["addresses"], strict=True)
    ]


class MongoNoticeQueue:
    """通知队列: batches of ≤ `chunk` recipients; the batches of an (outage, kind) are its no-duplicates ledger."""

    def __init__(
        self, dbs: TenantDatabases, *, chunk: int = MAX_CHUNK, lease_seconds: float = 60.0, outbox: OutboxRelay | None = None
    ) -> None:
        self.dbs = dbs
        self.outbox = outbox
        self.chunk = max(1, min(chunk, MAX_CHUNK))
        self.lease = timedelta(seconds=lease_seconds)

    async def ensure_indexes(self, tenant: str) -> None:
        col = self.dbs.for_tenant(tenant)[BATCHES]
        await col.create_index([("tenant", ASCENDING), ("outage_id", ASCENDING), ("notice_kind", ASCENDING)])
        await col.create_index([("tenant", ASCENDING), ("state", ASCENDING), ("due_at", ASCENDING)])

    async def enqueue(self, tenant: str, notices: list[Notice]) -> int:
        """Per ledger: one read of what is queued, one insert_many of what is new. Returns notices newly queued."""
        by_ledger: dict[tuple[str, str], dict[tuple[str, str], Notice]] = {}
        for n in notices:
            by_ledger.setdefault((n.outage_id, n.stored_kind), {}).setdefault((n.account_no, n.channel), n)
        queued = 0
        for (outage_id, stored_kind), planned in by_ledger.items():
            async with self._lease(tenant, outage_id, stored_kind):
                done = await self._queued_keys(tenant, outage_id, stored_kind)
                fresh = [n for key, n in planned.items() if key not in done]
                if fresh:
                    docs = batch_docs(tenant, fresh, self.chunk, datetime.now(UTC))
                    await self.dbs.for_tenant(tenant)[BATCHES].insert_many(docs, ordered=True)
                queued += len(fresh)
        return queued

    async def _queued_keys(self, tenant: str, outage_id: str, stored_kind: str) -> set[tuple[str, str]]:
        cursor = self.dbs.for_tenant(tenant)[BATCHES].find(
            {"tenant": tenant, "outage_id": outage_id, "notice_kind": stored_kind}, {"_id": 0, "channel": 1, "accounts": 1}
        )
        return {(account, doc["channel"]) async for doc in cursor for account in doc["accounts"]}

    @asynccontextmanager
    async def _lease(self, tenant: str, outage_id: str, stored_kind: str, wait_seconds: float = 30.0) -> AsyncIterator[None]:
        """A lease with an expiry, so a replica that died holding it blocks the ledger for one lease at most."""
        col = self.dbs.for_tenant(tenant)[LEDGERS]
        key, token = f"{tenant}|{outage_id}|{stored_kind}", uuid.uuid4().hex
        deadline = asyncio.get_running_loop().time() + wait_seconds
        while not await self._take(col, key, token, tenant, outage_id, stored_kind):
            if asyncio.get_running_loop().time() > deadline:
                raise conflict("通知正在由其他实例排队，请稍后重试", "notices are being queued elsewhere, retry later", code="notice_ledger_busy")
            await asyncio.sleep(0.05)
        try:
            yield
        finally:
            await col.update_one({"_id": key, "lease": token}, {"$set": {"lease": None, "lease_until": datetime.now(UTC)}})

    async def _take(self, col: Any, key: str, token: str, tenant: str, outage_id: str, stored_kind: str) -> bool:
        now = datetime.now(UTC)
        held = {"lease": token, "lease_until": now + self.lease}
        if (await col.update_one({"_id": key, "lease_until": {"$lte": now}}, {"$set": held})).matched_count:
            return True
        try:
            await col.insert_one({"_id": key, "tenant": tenant, "outage_id": outage_id, "notice_kind": stored_kind, **held})
        except DuplicateKeyError:
            return False  # held by someone else (or just released: the next try takes it)
        return True

    async def claim_due(self, tenant: str, now: datetime, limit: int) -> list[Notice]:
        """Whole batches until `limit` notices (at least one batch); each claimed by one update_one on _id + state."""
        col = self.dbs.for_tenant(tenant)[BATCHES]
        due = await col.find({"tenant": tenant, "state": "queued", "due_at": {"$lte": now}}, {"_id": 1}).to_list()
        claimed: list[Notice] = []
        for doc in due:  # index order: oldest due first; a batch another sender won is skipped
            if len(claimed) >= limit:
                break
            claim = {"state": "sending", "claim": uuid.uuid4().hex, "claimed_at": now}
            if (await col.update_one({"_id": doc["_id"], "state": "queued"}, {"$set": claim})).modified_count:
                claimed.extend(notices_of(await col.find_one({"_id": doc["_id"]}, _WITHOUT_EVENTS)))
        return claimed

    async def finish(
        self, tenant: str, results: list[tuple[Notice, str, str | None]], at: datetime,
        events: dict[str, list[Envelope[Any]]] | None = None,
    ) -> None:
        """All results of a batch in one update: per recipient, in the batch's order, counts by result, and its events."""
        by_batch: dict[str, dict[str, tuple[str, str | None]]] = {}
        for notice, result, detail in results:
            by_batch.setdefault(notice.batch_id or "", {})[notice.account_no] = (result, detail)
        col = self.dbs.for_tenant(tenant)[BATCHES]
        for batch_id, outcome in by_batch.items():
            doc = await col.find_one({"_id": batch_id}, {"accounts": 1})
            if doc is None:
                continue
            ordered = [outcome.get(a, ("failed", "未处理 / not processed")) for a in doc["accounts"]]
            counts: dict[str, int] = {}
            for result, _ in ordered:
                counts[result] = counts.get(result, 0) + 1
            update = {"state": "done", "finished_at": at, "results": [r for r, _ in ordered],
                      "details": [d for _, d in ordered], "counts": counts}
            await self._finish_one(tenant, col, batch_id, update, (events or {}).get(batch_id, []))

    async def _finish_one(
        self, tenant: str, col: Any, batch_id: str, update: dict[str, Any], events: list[Envelope[Any]]
    ) -> None:
        if not events:
            await col.update_one({"_id": batch_id, "state": "sending"}, {"$set": update})
            return
        if self.outbox is None:
            raise RuntimeError("MongoNoticeQueue was built without the outbox relay: it cannot store events")
        staged = self.outbox.stamp(tenant, BATCHES, update, events)  # the events go into the same $set
        try:
            stored = (await col.update_one({"_id": batch_id, "state": "sending"}, {"$set": update})).matched_count == 1
        except BaseException:
            self.outbox.discard(staged)
            raise
        (self.outbox.commit if stored else self.outbox.discard)(staged)

    async def queued_count(self, tenant: str, outage_id: str) -> int:
        """Notices queued for one outage (all kinds), for tests and the benchmark."""
        cursor = self.dbs.for_tenant(tenant)[BATCHES].find({"tenant": tenant, "outage_id": outage_id}, {"_id": 0, "count": 1})
        return sum([doc["count"] async for doc in cursor])
