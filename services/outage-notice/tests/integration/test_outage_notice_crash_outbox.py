"""Outage-notice killed after an outage is stored and before its events are published: the restart publishes them once.

Real processes: the service runs as `python -m outage_notice` and is SIGKILLed; the broker is a tansu of
each test's own, so stopping it touches no other test. Every event the service stored (in its outages
and its finished notice batches) must reach the broker exactly once, and nothing else.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from pymongo import AsyncMongoClient

from devstack.service_process import ServiceProcess, bearer, consume_events, start_in
from outage_notice_builders import TENANT, report, seed_grid

pytestmark = pytest.mark.integration
TOPICS = ["outage.published.v1", "outage.started.v1", "outage.restored.v1", "notification.sent.v1"]


def staff(tmp_path: Path) -> dict[str, str]:
    return bearer(tmp_path, subject="li", tenant=TENANT, roles=["unit_staff"])


def start(tmp_path: Path, bootstrap: str, mongo_uri: str, prefix: str, **settings: str) -> ServiceProcess:
    settings = {"NOTIFY_SINK_DIR": str(tmp_path / "notices"), **settings}
    return start_in(tmp_path, "outage-notice", kafka=bootstrap, mongo_uri=mongo_uri, db_prefix=prefix, tenants=["37", TENANT],
                    settings=settings)


def call(method: str, url: str, headers: dict[str, str], expect: int, **kw) -> dict:
    response = httpx.request(method, url, headers=headers, timeout=15, **kw)
    assert response.status_code == expect, response.text
    return response.json()


async def stored_events(mongo_uri: str, prefix: str) -> dict[str, str]:
    """Every event the service stored with its writes (outages and finished notice batches): id → topic."""
    client = AsyncMongoClient(mongo_uri, tz_aware=True)
    try:
        db = client[f"{prefix}_{TENANT}"]
        found: dict[str, str] = {}
        for name in ("outages", "notice_batches"):
            async for doc in db[name].find({"outbox": {"$exists": True}}, {"outbox": 1}):
                found.update({e["id"]: e["topic"] for e in doc["outbox"]})
        return found
    finally:
        await client.close()


async def notices_finished(mongo_uri: str, prefix: str, outage_id: str, timeout: float = 30.0) -> int:
    """Wait until the scheduler has sent every queued notice of the outage; returns how many were sent."""
    client = AsyncMongoClient(mongo_uri, tz_aware=True)
    try:
        col = client[f"{prefix}_{TENANT}"]["notice_batches"]
        async with asyncio.timeout(timeout):
            while True:
                batches = await col.find({"outage_id": outage_id}, {"state": 1, "count": 1}).to_list()
                if batches and all(b["state"] == "done" for b in batches):
                    return sum(b["count"] for b in batches)
                await asyncio.sleep(0.2)
    finally:
        await client.close()


async def published_once(bootstrap: str, stored: dict[str, str], timeout: float) -> None:
    seen = await consume_events(bootstrap, TOPICS, match=lambda e: e.get("tenant") == TENANT,
                                until=lambda s: {e["id"] for e in s} >= set(stored), timeout=timeout)
    assert sorted(e["id"] for e in seen) == sorted(stored)  # every stored event, each exactly once, nothing else


async def test_killed_after_storing_an_outage_and_its_notices_the_restarted_service_publishes_each_event_once(
    tmp_path, own_broker, mongo_uri, unique_name
) -> None:
    prefix = f"t{unique_name}"
    await seed_grid(mongo_uri, prefix)
    headers = staff(tmp_path)
    outage_id = f"TD-{unique_name}"
    paused = start(tmp_path, own_broker.bootstrap, mongo_uri, prefix, OUTBOX_PAUSED="true", SCHEDULER_INTERVAL_SECONDS="0.5")
    try:
        paused.wait_ready()
        body = report(outage_id, {"feeder_codes": ["F1"], "area": "泉城路南段"}, timedelta(minutes=-5))
        created = call("POST", f"{paused.url}/api/v1/outages", headers, 201, json=body)
        assert (created["state"], created["affected_customers"]) == ("published", 4)
        assert await notices_finished(mongo_uri, prefix, outage_id) == 5  # four customers, the important one on two channels
        call("POST", f"{paused.url}/api/v1/outages/{outage_id}/start", headers, 200, json={})
        read = call("GET", f"{paused.url}/api/v1/outages/{outage_id}", headers, 200)
        assert read["state"] == "started"
        assert [v["action"] for v in read["revisions"]] == ["reported", "published", "started"]
    finally:
        paused.kill()  # state stored, events never published
    stored = await stored_events(mongo_uri, prefix)
    topics = sorted(stored.values())
    assert topics == ["notification.sent.v1"] * 5 + ["outage.published.v1", "outage.started.v1"]
    restarted = start(tmp_path, own_broker.bootstrap, mongo_uri, prefix, OUTBOX_STALE_AFTER_SECONDS="2")
    try:
        restarted.wait_ready()
        await published_once(own_broker.bootstrap, stored, timeout=60)
    finally:
        restarted.proc.stop()


async def test_an_outage_reported_started_and_restored_while_the_broker_is_down_is_published_once_it_is_back(
    tmp_path, own_broker, mongo_uri, unique_name
) -> None:
    prefix = f"t{unique_name}"
    await seed_grid(mongo_uri, prefix)
    headers = staff(tmp_path)
    outage_id = f"TD-{unique_name}"
    service = start(tmp_path, own_broker.bootstrap, mongo_uri, prefix, SCHEDULER_ENABLED="false")
    try:
        service.wait_ready()
        own_broker.stop()  # the broker goes away; outages are still reported and stored
        body = report(outage_id, {"ta_codes": ["A4"]}, timedelta(minutes=-5))
        assert call("POST", f"{service.url}/api/v1/outages", headers, 201, json=body)["state"] == "published"
        call("POST", f"{service.url}/api/v1/outages/{outage_id}/start", headers, 200, json={})
        call("POST", f"{service.url}/api/v1/outages/{outage_id}/restore", headers, 200, json={"remark": "已送电"})
        read = call("GET", f"{service.url}/api/v1/outages/{outage_id}", headers, 200)
        assert [v["action"] for v in read["revisions"]] == ["reported", "published", "started", "restored"]
        stored = await stored_events(mongo_uri, prefix)
        assert sorted(stored.values()) == ["outage.published.v1", "outage.restored.v1", "outage.started.v1"]
        own_broker.restart()
        await published_once(own_broker.bootstrap, stored, timeout=90)
    finally:
        service.proc.stop()
