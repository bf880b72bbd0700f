"""Survey against real tansu and SecantusDB: an audited order becomes a due visit; its result is published."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from hotline_contracts import make_event
from hotline_contracts.events.dispatch import ReplyAuditedV1
from survey.app import create_app
from survey.settings import Settings

pytestmark = pytest.mark.integration


async def _until(check, timeout: float = 30.0):
    async with asyncio.timeout(timeout):
        while True:
            result = await check()
            if result:
                return result
            await asyncio.sleep(0.2)


def _closed(ticket: str) -> bytes:
    data = ReplyAuditedV1(ticket_id=ticket, reply_id=f"{ticket}-reply", passed=True, auditor="agent:u-37-1",
                          business_type="complaint", responsible_unit="370102", at=datetime.fromisoformat("2026-11-27T18:00:00+08:00"))
    return make_event(data, tenant="370102", source="/hotline/dispatch", subject=ticket).model_dump_json().encode()


async def test_a_closed_complaint_is_visited_and_an_unsatisfied_answer_is_published(
    kafka_bootstrap, mongo_uri, unique_name, issuer_key, bearer
):
    settings = Settings(kafka_bootstrap_servers=kafka_bootstrap, mongo_uri=mongo_uri, mongo_db_prefix=f"t{unique_name}",
                        hosted_tenants=["37", "3701", "370102"], auth_jwks_path=str(issuer_key.parent / "jwks.json"))
    app = create_app(settings, group_prefix=f"survey-{unique_name}")
    ticket = f"370102-20261127-{unique_name[-6:]}"
    listener = AIOKafkaConsumer("return_visit.completed.v1", bootstrap_servers=kafka_bootstrap, group_id=f"l-{unique_name}",
                                auto_offset_reset="earliest", fetch_max_wait_ms=10)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as client:
        await _until(lambda: _ready(client), 60)
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
        await producer.start()
        try:
            payload = _closed(ticket)
            await producer.send_and_wait("reply.audited.v1", payload)
            await producer.send_and_wait("reply.audited.v1", payload)  # redelivered: still one visit
        finally:
            await producer.stop()
        agent = bearer("37", "agent", subject="agent:liuyang")

        async def due():
            items = (await client.get("/api/v1/return-visits", params={"state": "due"}, headers=agent)).json()["items"]
            return [v for v in items if v["ticket_id"] == ticket]

        [visit] = await _until(due)
        assert visit["due_at"].startswith("2026-11-30T")  # one working day after a Friday close
        r = await client.post(f"/api/v1/return-visits/{visit['visit_id']}/result", headers=agent, json={"result": "unsatisfied"})
        assert r.status_code == 200, r.text
        await listener.start()
        try:
            async def completed():
                batch = await listener.getmany(timeout_ms=500)
                events = [json.loads(m.value) for msgs in batch.values() for m in msgs]
                return [e for e in events if e["data"]["ticket_id"] == ticket]

            [event] = await _until(completed)
        finally:
            await listener.stop()
        assert event["data"]["result"] == "unsatisfied" and event["data"]["reopen_requested"] is True
        assert await due() == []
        assert 'hotline_satisfaction_ratio{service="survey",tenant="370102"} 0.0' in (await client.get("/metrics")).text


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200
