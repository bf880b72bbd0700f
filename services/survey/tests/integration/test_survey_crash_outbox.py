"""Survey killed after a visit or its result is stored and before the event is published: the restart publishes it once.

Real processes: the service runs as `python -m survey` and is SIGKILLed; the broker is a tansu of each
test's own, so stopping it touches no other test. A closure arrives the way dispatch sends it (a
reply.audited.v1 produced to Kafka); results are recorded over HTTP as an agent would.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from devstack.service_process import ServiceProcess, bearer, consume_events, start_in
from hotline_contracts import make_event
from hotline_contracts.events.dispatch import ReplyAuditedV1

pytestmark = pytest.mark.integration
TENANT = "370102"
SCHEDULED, COMPLETED = "return_visit.scheduled.v1", "return_visit.completed.v1"


def agent(tmp_path: Path) -> dict[str, str]:
    return bearer(tmp_path, subject="agent:liuyang", tenant="37", roles=["agent"])


def start(tmp_path: Path, bootstrap: str, mongo_uri: str, prefix: str, **settings: str) -> ServiceProcess:
    return start_in(tmp_path, "survey", kafka=bootstrap, mongo_uri=mongo_uri, db_prefix=prefix, tenants=["37", TENANT],
                    settings=settings)


async def close_order(bootstrap: str, ticket: str) -> None:
    """95598 passes the reply: a complaint audited on a Friday evening (visited one working day later)."""
    data = ReplyAuditedV1(ticket_id=ticket, reply_id=f"{ticket}-reply", passed=True, auditor="agent:u-37-1",
                          business_type="complaint", responsible_unit=TENANT, at=datetime.fromisoformat("2026-11-27T18:00:00+08:00"))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        envelope = make_event(data, tenant=TENANT, source="/hotline/dispatch", subject=ticket)
        await producer.send_and_wait("reply.audited.v1", envelope.model_dump_json().encode(), key=ticket.encode())
    finally:
        await producer.stop()


async def due_visit(service: ServiceProcess, headers: dict[str, str], ticket: str, timeout: float = 60.0) -> dict:
    """The order's visit as the due list shows it, once the service has stored it."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=service.url, headers=headers, timeout=10) as client:
        while time.monotonic() < deadline:
            items = (await client.get("/api/v1/return-visits", params={"state": "due"})).json()["items"]
            mine = [v for v in items if v["ticket_id"] == ticket]
            if mine:
                return mine[0]
            await asyncio.sleep(0.3)
    raise TimeoutError(f"no visit for {ticket}:\n{service.proc.tail(40)}")


async def completed_visit_listed(service: ServiceProcess, headers: dict[str, str], ticket: str) -> bool:
    async with httpx.AsyncClient(base_url=service.url, headers=headers, timeout=10) as client:
        items = (await client.get("/api/v1/return-visits", params={"state": "completed"})).json()["items"]
    return [v["state"] for v in items if v["ticket_id"] == ticket] == ["completed"]


def record(service: ServiceProcess, headers: dict[str, str], visit_id: str) -> None:
    r = httpx.post(f"{service.url}/api/v1/return-visits/{visit_id}/result", json={"result": "unsatisfied"}, headers=headers, timeout=15)
    assert r.status_code == 200, r.text


async def published(bootstrap: str, ticket: str, topics: list[str], want: int, timeout: float = 60.0) -> list[dict]:
    return await consume_events(bootstrap, topics, match=lambda e: e.get("subject") == ticket, until=lambda s: len(s) >= want,
                                timeout=timeout)


def each_once(seen: list[dict], types: list[str]) -> None:
    assert sorted(e["type"] for e in seen) == sorted(f"cn.95598.{t}" for t in types)
    assert len({e["id"] for e in seen}) == len(seen)  # each event once


async def test_killed_after_storing_a_visit_and_then_a_result_each_restart_publishes_the_event_once(
    tmp_path, own_broker, mongo_uri, unique_name
) -> None:
    prefix, ticket, headers = f"t{unique_name}", f"{TENANT}-20261127-{unique_name[-6:]}", agent(tmp_path)
    broker = own_broker.bootstrap
    paused = start(tmp_path, broker, mongo_uri, prefix, OUTBOX_PAUSED="true")
    try:
        paused.wait_ready()
        await close_order(broker, ticket)
        visit = await due_visit(paused, headers, ticket)
        assert visit["due_at"].startswith("2026-11-30T")
        assert await published(broker, ticket, [SCHEDULED], 1, timeout=3) == []  # held: stored, not sent
    finally:
        paused.kill()  # the visit is stored, its return_visit.scheduled never published
    restarted = start(tmp_path, broker, mongo_uri, prefix, OUTBOX_STALE_AFTER_SECONDS="2")
    try:
        restarted.wait_ready()
        each_once(await published(broker, ticket, [SCHEDULED], 1), [SCHEDULED])
    finally:
        restarted.proc.stop()

    paused = start(tmp_path, broker, mongo_uri, prefix, OUTBOX_PAUSED="true")
    try:
        paused.wait_ready()
        record(paused, headers, visit["visit_id"])
        assert await published(broker, ticket, [COMPLETED], 1, timeout=3) == []
    finally:
        paused.kill()  # the result is stored, its return_visit.completed never published
    restarted = start(tmp_path, broker, mongo_uri, prefix, OUTBOX_STALE_AFTER_SECONDS="2")
    try:
        restarted.wait_ready()
        seen = await published(broker, ticket, [SCHEDULED, COMPLETED], 2)
        assert await completed_visit_listed(restarted, headers, ticket)
    finally:
        restarted.proc.stop()
    each_once(seen, [SCHEDULED, COMPLETED])  # the visit's earlier event is not sent again
    [completed] = [e for e in seen if e["type"].endswith("completed.v1")]
    assert completed["data"]["reopen_requested"] is True and completed["data"]["visit_id"] == visit["visit_id"]


async def test_a_result_recorded_while_the_broker_is_down_is_published_once_it_is_back(
    tmp_path, own_broker, mongo_uri, unique_name
) -> None:
    prefix, ticket, headers = f"t{unique_name}", f"{TENANT}-20261127-{unique_name[-6:]}", agent(tmp_path)
    service = start(tmp_path, own_broker.bootstrap, mongo_uri, prefix)
    try:
        service.wait_ready()
        await close_order(own_broker.bootstrap, ticket)
        visit = await due_visit(service, headers, ticket)
        each_once(await published(own_broker.bootstrap, ticket, [SCHEDULED], 1), [SCHEDULED])
        own_broker.stop()  # the broker goes away; the agent's answer is still taken and stored
        record(service, headers, visit["visit_id"])
        own_broker.restart()
        seen = await published(own_broker.bootstrap, ticket, [COMPLETED], 1, timeout=90)
    finally:
        service.proc.stop()
    each_once(seen, [COMPLETED])
    assert seen[0]["data"]["visit_id"] == visit["visit_id"]
