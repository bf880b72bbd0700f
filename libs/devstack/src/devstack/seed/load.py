"""Load the demo province into MongoDB, idempotently.

A marker in `{prefix}_platform.seed_runs` records the content hash of the last complete load.
When it matches (and no collection has lost documents) the load is skipped. Otherwise each
collection is brought to the seed's content: an empty collection gets `insert_many(ordered=False)`
in batches, then its indexes; a non-empty one is diffed against the seed and only missing or
changed documents are replaced (bulk `ReplaceOne(upsert=True)`), documents the seed no longer has
are deleted (`prune`); when most of it differs (and `prune`), it is dropped and refilled instead.
Unique indexes exist before any write to a non-empty collection.

Connect with `directConnection=true&retryWrites=false` (SecantusDB slows badly otherwise).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DeleteMany, ReplaceOne

from devstack.seed.model import ORG_UNITS, STEPS, CollectionSpec, DemoProvince, SeedSummary

Progress = Callable[[str, int, int], object]
BATCH = 1_000
MARKER_COLLECTION = "seed_runs"


async def load_demo_province(
    client: Any,
    data: DemoProvince,
    *,
    db_prefix: str = "hotline",
    progress: Progress | None = None,
    prune: bool = True,
    concurrency: int = 1,
) -> SeedSummary:
    """Store `data` (org units, topology, customers, crews, rosters, users) and its indexes.

    `progress(step, done, total)` is called as each step starts and after every batch; steps are
    org_units, topology, customers, crews, rosters, users (or one `up_to_date` when skipped).
    """
    started = time.perf_counter()
    report = progress or (lambda step, done, total: None)
    platform = client[f"{db_prefix}_platform"]
    marker_id = f"demo-province:{data.province}"
    content_hash = data.content_hash()
    counts = data.counts()
    summary = SeedSummary(counts=counts, content_hash=content_hash, skipped=False, seconds=0.0)

    marker = await platform[MARKER_COLLECTION].find_one({"_id": marker_id})
    if marker and marker.get("content_hash") == content_hash and await _still_there(client, db_prefix, counts):
        total = sum(n for c in counts.values() for n in c.values())
        report("up_to_date", total, total)
        summary.skipped = True
        summary.seconds = time.perf_counter() - started
        return summary

    await platform[MARKER_COLLECTION].delete_one({"_id": marker_id})  # a half-done load never matches
    loader = _Loader(summary, report, prune, asyncio.Semaphore(max(1, concurrency)))
    await loader.step("org_units", [(platform["org_units"], ORG_UNITS, None, data.org_unit_docs())])
    for step, specs in STEPS:
        await loader.step(
            step,
            [
                (client[f"{db_prefix}_{tenant}"][spec.name], spec, tenant, data.docs(tenant, spec.name))
                for tenant in data.tenants
                for spec in specs
                if spec.name in data.tenants[tenant]
            ],
        )
    summary.seconds = time.perf_counter() - started
    await platform[MARKER_COLLECTION].replace_one(
        {"_id": marker_id}, _marker(data, content_hash, counts, summary.seconds), upsert=True
    )
    return summary


def _marker(data: DemoProvince, content_hash: str, counts: dict[str, Any], seconds: float) -> dict[str, Any]:
    return {
        "tenant": data.province,
        "content_hash": content_hash,
        "seed": data.seed,
        "start_date": data.start_date.isoformat(),
        "counts": counts,
        "loaded_at": datetime.now(UTC),
        "seconds": round(seconds, 3),
    }


async def _still_there(client: Any, db_prefix: str, counts: dict[str, dict[str, int]]) -> bool:
    """No seeded collection holds fewer documents than the seed (others may have added some)."""
    for tenant, colls in counts.items():
        db = client[f"{db_prefix}_{tenant}"]
        for name, expected in colls.items():
            if await db[name].estimated_document_count() < expected:
                return False
    return True


class _Loader:
    def __init__(self, summary: SeedSummary, report: Progress, prune: bool, gate: asyncio.Semaphore) -> None:
        self.summary, self.report, self.prune, self.gate = summary, report, prune, gate

    async def step(self, step: str, jobs: list[tuple[Any, CollectionSpec, str | None, list[dict[str, Any]]]]) -> None:
        total = sum(len(docs) for *_, docs in jobs)
        done = 0
        self.report(step, 0, total)

        def advance(n: int) -> None:
            nonlocal done
            done += n
            self.report(step, done, total)

        async def run(coll: Any, spec: CollectionSpec, tenant: str | None, docs: list[dict[str, Any]]) -> None:
            async with self.gate:
                await self.sync(coll, spec, tenant, docs, advance)

        await asyncio.gather(*(run(*job) for job in jobs))

    async def sync(
        self, coll: Any, spec: CollectionSpec, tenant: str | None, docs: list[dict[str, Any]], advance: Callable[[int], None]
    ) -> None:
        if await coll.estimated_document_count():
            await _create_indexes(coll, spec.unique, unique=True)
            if await self.reconcile(coll, spec, tenant, docs, advance):
                await _create_indexes(coll, spec.plain, unique=False)
                return
            await coll.drop()  # mostly different: dropping and refilling beats deleting (≈ 200/s)
        # Into an empty collection, then index: about twice as fast on SecantusDB as indexing
        # first. The seed's keys are unique by construction; the unique index still guards every
        # later write (and its build fails loudly if two loaders ever raced).
        for i in range(0, len(docs), BATCH):
            chunk = docs[i : i + BATCH]
            await coll.insert_many([dict(d) for d in chunk], ordered=False)  # copies: pymongo adds _id
            self._count(self.summary.written, spec.name, len(chunk))
            advance(len(chunk))
        await _create_indexes(coll, spec.unique, unique=True)
        await _create_indexes(coll, spec.plain, unique=False)

    async def reconcile(
        self, coll: Any, spec: CollectionSpec, tenant: str | None, docs: list[dict[str, Any]], advance: Callable[[int], None]
    ) -> bool:
        """Replace what is missing or different, delete what the seed no longer has (if pruning).

        False, having written nothing, when pruning and most documents differ: the caller then
        drops the collection and loads it afresh.
        """
        stored: dict[tuple[Any, ...], tuple[Any, dict[str, Any]]] = {}
        async for doc in coll.find({"tenant": tenant} if tenant else {}):
            _id = doc.pop("_id")
            stored[tuple(doc.get(f) for f in spec.key)] = (_id, doc)
        wanted = {tuple(d[f] for f in spec.key): d for d in docs}
        writes: list[Any] = [
            ReplaceOne({f: d[f] for f in spec.key}, dict(d), upsert=True)
            for key, d in wanted.items()
            if key not in stored or _normal(stored[key][1]) != _normal(d)
        ]
        stale = [_id for key, (_id, _) in stored.items() if key not in wanted] if self.prune else []
        if self.prune and len(writes) + len(stale) > max(len(stored), len(wanted)) // 2:
            self._count(self.summary.deleted, spec.name, len(stored))
            return False
        ops = writes + ([DeleteMany({"_id": {"$in": stale}})] if stale else [])
        for i in range(0, len(ops), BATCH):
            await coll.bulk_write(ops[i : i + BATCH], ordered=False)
        self._count(self.summary.written, spec.name, len(writes))
        self._count(self.summary.deleted, spec.name, len(stale))
        advance(len(docs))
        return True

    @staticmethod
    def _count(into: dict[str, int], name: str, n: int) -> None:
        if n:
            into[name] = into.get(name, 0) + n


async def _create_indexes(coll: Any, keys: tuple[tuple[str, ...], ...], *, unique: bool) -> None:
    for fields in keys:
        await coll.create_index([(f, ASCENDING) for f in fields], unique=unique)


def _normal(value: Any) -> Any:
    """Compare stored and generated documents: BSON datetimes come back naive UTC, in ms."""
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normal(v) for v in value]
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    return value
