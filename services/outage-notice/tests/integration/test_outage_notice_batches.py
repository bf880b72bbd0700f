"""The batch notice queue against real SecantusDB: chunks, no duplicates (also under races), whole-batch claims."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient

from outage_notice.adapters.mongo_batches import MongoNoticeQueue
from outage_notice.adapters.mongo_directory import MongoDirectory
from outage_notice.domain.notices import Notice, NoticeKind
from outage_notice.domain.outage import Scope
from outage_notice.settings import Settings
from servicekit.mongo import TenantDatabases

pytestmark = pytest.mark.integration
TENANT = "370102"
NOW = datetime.now(UTC)


def notices(accounts: range, channel: str = "sms", kind: NoticeKind = NoticeKind.PUBLISHED) -> list[Notice]:
    return [Notice(TENANT, "TD-B1", kind, f"{3701020000 + i}", channel, NOW, True, f"139{i:08d}") for i in accounts]


@pytest.fixture
async def dbs(mongo_uri: str, unique_name: str):
    client = AsyncMongoClient(mongo_uri, tz_aware=True)
    settings = Settings(mongo_uri=mongo_uri, mongo_db_prefix=f"b{unique_name}", hosted_tenants=[TENANT])
    yield TenantDatabases(client, settings)
    await client.close()


async def test_an_outage_is_a_handful_of_batches_and_nobody_is_queued_twice(dbs):
    queue = MongoNoticeQueue(dbs, chunk=100)
    await queue.ensure_indexes(TENANT)
    assert await queue.enqueue(TENANT, notices(range(250)) + notices(range(3), channel="wechat")) == 253
    batches = await dbs.for_tenant(TENANT)["notice_batches"].find({"tenant": TENANT}).to_list()
    assert sorted(b["count"] for b in batches) == [3, 50, 100, 100]
    # overlapping re-run (a redelivered event, a re-publication): only the new customers are queued
    assert await queue.enqueue(TENANT, notices(range(200, 300))) == 50
    # the same customers for another notice kind are a different notice
    assert await queue.enqueue(TENANT, notices(range(10), kind=NoticeKind.RENOTICE)) == 10
    assert await queue.queued_count(TENANT, "TD-B1") == 313


async def test_concurrent_enqueues_of_the_same_outage_queue_each_customer_once(dbs):
    queue = MongoNoticeQueue(dbs, chunk=1000)
    await queue.ensure_indexes(TENANT)
    counts = await asyncio.gather(*(queue.enqueue(TENANT, notices(range(i * 100, i * 100 + 300))) for i in range(4)))
    assert sum(counts) == 600  # accounts 0..599, each once, whoever won each race
    assert await queue.queued_count(TENANT, "TD-B1") == 600


async def test_two_senders_never_claim_the_same_batch_and_results_are_stored_per_recipient(dbs):
    queue = MongoNoticeQueue(dbs, chunk=50)
    await queue.ensure_indexes(TENANT)
    await queue.enqueue(TENANT, notices(range(200)))
    first, second = await asyncio.gather(queue.claim_due(TENANT, NOW + timedelta(seconds=1), 100),
                                         queue.claim_due(TENANT, NOW + timedelta(seconds=1), 100))
    keys = [(n.account_no, n.channel) for n in first + second]
    assert len(keys) == len(set(keys)) == 200
    assert await queue.claim_due(TENANT, NOW + timedelta(seconds=1), 100) == []
    results = [(n, "failed" if n.account_no.endswith("7") else "sent", None) for n in first + second]
    await queue.finish(TENANT, results, NOW)
    batches = await dbs.for_tenant(TENANT)["notice_batches"].find({"tenant": TENANT}).to_list()
    assert {b["state"] for b in batches} == {"done"}
    assert sum(b["counts"].get("failed", 0) for b in batches) == 20
    one = batches[0]
    assert [r == "failed" for r in one["results"]] == [a.endswith("7") for a in one["accounts"]]


async def test_a_scope_with_many_transformer_areas_resolves_every_customer_once(dbs):
    db = dbs.for_tenant(TENANT)
    await db["customers"].insert_many([
        {"tenant": TENANT, "account_no": f"{3701020000 + i}", "phone": f"139{i:08d}", "station_code": "S1",
         "feeder_code": f"F{i // 20}", "ta_code": f"A{i // 2}", "preferred_channel": "sms", "channels": ["sms"]}
        for i in range(200)
    ])
    directory = MongoDirectory(dbs)
    await directory.ensure_indexes(TENANT)
    scope = Scope(feeder_codes=("F0",), ta_codes=tuple(f"A{i}" for i in range(0, 100, 2)))  # F0 = A0..A9, overlapping
    found = await directory.affected(TENANT, scope)
    expected = {f"{3701020000 + i}" for i in range(200) if i < 20 or (i // 2) % 2 == 0}
    assert len(found) == len(expected) and {r.account_no for r in found} == expected
