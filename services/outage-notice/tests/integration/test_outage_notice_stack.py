"""Against real tansu and SecantusDB: topology resolution, lookups, notices queued and events published."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pymongo import AsyncMongoClient

from devstack.devtoken import ensure_dev_issuer, issue_token
from hotline_contracts import make_event
from hotline_contracts.events.outage import OutageReportedV1, OutageScope
from outage_notice.app import create_app
from outage_notice.scheduler import tick
from outage_notice.settings import Settings
from outage_notice_builders import TENANT, grid, report

pytestmark = pytest.mark.integration


@pytest.fixture
async def stack(tmp_path: Path, kafka_bootstrap: str, mongo_uri: str, unique_name: str):
    prefix = f"t{unique_name}"
    client = AsyncMongoClient(mongo_uri, tz_aware=True)
    for name, docs in grid().items():
        await client[f"{prefix}_{TENANT}"][name].insert_many(docs)
    key = ensure_dev_issuer(tmp_path)
    settings = Settings(
        kafka_bootstrap_servers=kafka_bootstrap, mongo_uri=mongo_uri, mongo_db_prefix=prefix, hosted_tenants=["37", TENANT],
        auth_jwks_path=str(tmp_path / "jwks.json"), notify_sink_dir=str(tmp_path / "notices"), scheduler_enabled=False,
        service_name=f"outage-notice-{unique_name}",
    )
    app = create_app(settings)
    token = issue_token(key, subject="li", tenant=TENANT, roles=["unit_staff"])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://o", headers={"Authorization": f"Bearer {token}"}) as http:
            for _ in range(300):
                if (await http.get("/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.1)
            yield http, app, client[f"{prefix}_{TENANT}"], tmp_path
    await client.close()


async def topic_events(bootstrap: str, topic: str, count: int, timeout: float = 20.0) -> list[dict]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", fetch_max_wait_ms=10,
                                group_id=f"probe-{topic}-{datetime.now().timestamp()}")
    await consumer.start()
    found: list[dict] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(found) < count and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            found += [json.loads(m.value) for msgs in batch.values() for m in msgs]
    finally:
        await consumer.stop()
    return found


async def test_station_scope_resolves_through_feeders_and_areas_and_queues_notices(stack, kafka_bootstrap):
    http, app, db, tmp = stack
    created = await http.post("/api/v1/outages", json=report("TD-S1", {"station_codes": ["S1"]}, timedelta(minutes=-5)))
    assert created.status_code == 201, created.text
    assert created.json()["affected_customers"] == 6  # A1, A2, A3 behind S1; A4 is on S2
    feeder = await http.post("/api/v1/outages", json=report("TD-F3", {"feeder_codes": ["F3"]}, timedelta(minutes=-5)))
    assert feeder.json()["affected_customers"] == 2
    deps = app.state.deps
    assert await deps.notices.queued_count(TENANT, "TD-S1") == 7  # six customers; the important one on sms and wechat
    assert await db["notice_batches"].count_documents({"tenant": TENANT, "outage_id": "TD-S1"}) == 2  # one per channel
    sent = await tick([TENANT], deps=deps, batch=100)
    assert sent["sent"] == 9
    lines = [json.loads(line) for f in (tmp / "notices").glob("*.jsonl") for line in f.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 9 and all("****" in line["recipient"] or "wechat:" in line["recipient"] for line in lines)
    assert (await tick([TENANT], deps=deps, batch=100))["sent"] == 0  # never twice
    batches = await db["notice_batches"].find({"tenant": TENANT}).to_list()
    assert {b["state"] for b in batches} == {"done"} and sum(b["counts"]["sent"] for b in batches) == 9

    published = await topic_events(kafka_bootstrap, "outage.published.v1", 2)
    mine = {e["data"]["outage_id"]: e["data"] for e in published if e["tenant"] == TENANT}
    assert mine["TD-S1"]["scope"]["station_codes"] == ["S1"] and mine["TD-S1"]["cause"] == "10kV线路故障"
    assert mine["TD-S1"]["planned_end"] is not None


async def test_lookup_answers_for_a_customer_inside_and_outside_the_outage(stack):
    http, *_ = stack
    await http.post("/api/v1/outages", json=report("TD-F1", {"feeder_codes": ["F1"], "area": "泉城路南段"}, timedelta(minutes=-5)))
    inside = (await http.get("/api/v1/outages/lookup", params={"account_no": "3701020003"})).json()
    assert inside["known"] is True and inside["cause"] == "10kV线路故障" and "恢复供电" in inside["script_zh"]
    outside = (await http.get("/api/v1/outages/lookup", params={"account_no": "3701020005"})).json()
    assert outside["known"] is False
    by_area = (await http.get("/api/v1/outages/lookup", params={"ta_code": "A2"})).json()
    assert by_area["known"] is True  # A2 → F1 through the topology
    later = datetime.now(UTC) + timedelta(hours=5)
    after_restoration = (await http.get("/api/v1/outages/lookup", params={"account_no": "3701020003", "at": later.isoformat()})).json()
    assert after_restoration["known"] is False


async def test_lifecycle_events_and_a_reported_event_from_kafka(stack, kafka_bootstrap):
    http, _, db, _ = stack
    start = datetime.now(UTC) + timedelta(hours=2)
    data = OutageReportedV1(
        outage_id="TD-OMS-1", outage_type="temporary", scope=OutageScope(ta_codes=["A4"]), planned_start=start,
        planned_end=start + timedelta(hours=2), cause="配变更换", reporting_unit=TENANT, affected_customers=0,
        reported_by="system:oms", reported_at=datetime.now(UTC),
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        envelope = make_event(data, tenant=TENANT, source="/oms")
        await producer.send_and_wait("outage.reported.v1", envelope.model_dump_json().encode())
        await producer.send_and_wait("outage.reported.v1", envelope.model_dump_json().encode())  # redelivery
    finally:
        await producer.stop()
    for _ in range(200):  # reported and published in one write, once the consumer gets to it
        if await db["outages"].find_one({"tenant": TENANT, "outage_id": "TD-OMS-1", "state": "published"}):
            break
        await asyncio.sleep(0.1)
    one = (await http.get("/api/v1/outages/TD-OMS-1")).json()
    assert one["state"] == "published" and one["affected_customers"] == 2
    assert (await http.post("/api/v1/outages/TD-OMS-1/start", json={})).status_code == 200
    assert (await http.post("/api/v1/outages/TD-OMS-1/restore", json={"remark": "已送电"})).status_code == 200
    versions = (await http.get("/api/v1/outages/TD-OMS-1")).json()["revisions"]
    assert [v["action"] for v in versions] == ["reported", "published", "started", "restored"]
    restored = await topic_events(kafka_bootstrap, "outage.restored.v1", 1)
    assert any(e["data"]["outage_id"] == "TD-OMS-1" for e in restored)
