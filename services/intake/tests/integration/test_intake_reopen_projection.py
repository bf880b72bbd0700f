"""Intake learns from dispatch's events alone whether an order is open: closed and reopened on real tansu and SecantusDB."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from devstack.devtoken import ensure_dev_issuer, issue_token
from hotline_contracts import make_event
from hotline_contracts.events.ticket import TicketClosedV1, TicketReopenedV1
from intake_fixtures import NORMAL
from intake_support import running, seed_customers, settings_for

pytestmark = pytest.mark.integration


@pytest.fixture
def agent(tmp_path: Path) -> dict[str, str]:
    key = ensure_dev_issuer(tmp_path)
    return {"Authorization": f"Bearer {issue_token(key, subject='zhangsan', tenant='37', roles=['agent'])}"}


def closed(ticket_id: str, at: datetime) -> bytes:
    data = TicketClosedV1(ticket_id=ticket_id, business_type="fault_repair", responsible_unit="370102", resolution="resolved",
                          within_time_limit=True, closed_by="staff:u-1", at=at)
    return make_event(data, tenant="370102", source="/hotline/dispatch", correlation_id="c", subject=ticket_id).model_dump_json().encode()


def reopened(ticket_id: str, at: datetime) -> bytes:
    data = TicketReopenedV1(ticket_id=ticket_id, cause="customer_called_back", reason="客户反映仍无电", by="staff:u-1", at=at)
    return make_event(data, tenant="370102", source="/hotline/dispatch", correlation_id="c", subject=ticket_id).model_dump_json().encode()


async def test_a_reopened_order_takes_calls_again_and_an_older_closure_read_later_does_not_close_it(
        tmp_path, agent, kafka_bootstrap, mongo_uri, unique_name) -> None:
    prefix = f"t{unique_name}"
    await seed_customers(mongo_uri, prefix, [NORMAL])
    async with running(settings_for(tmp_path, kafka_bootstrap, mongo_uri, prefix)) as (client, app):
        consumed = app.state.runtime.metrics.events_consumed

        async def state_becomes(tid: str, state: str) -> None:
            async with asyncio.timeout(40):
                while (await client.get(f"/api/v1/tickets/{tid}", headers=agent)).json()["state"] != state:
                    await asyncio.sleep(0.2)

        body = {"business_type": "fault_repair", "account_no": NORMAL.account_no, "summary": f"没电 {unique_name}"}
        first = (await client.post("/api/v1/tickets", json=body, headers=agent)).json()
        tid, t0 = first["ticket_id"], datetime.now(UTC)
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait("ticket.closed.v1", closed(tid, t0), key=tid.encode())
            await state_becomes(tid, "closed")
            await producer.send_and_wait("ticket.reopened.v1", reopened(tid, t0 + timedelta(minutes=10)), key=tid.encode())
            await state_becomes(tid, "reopened")
            before = consumed.labels("intake", "ticket.closed.v1", "ok")._value.get()
            # A closure made before the reopening but read after it (another topic) must not close the order again.
            await producer.send_and_wait("ticket.closed.v1", closed(tid, t0 + timedelta(minutes=5)), key=tid.encode())
            async with asyncio.timeout(40):
                while consumed.labels("intake", "ticket.closed.v1", "ok")._value.get() <= before:
                    await asyncio.sleep(0.2)
        finally:
            await producer.stop()
        assert (await client.get(f"/api/v1/tickets/{tid}", headers=agent)).json()["state"] == "reopened"
        again = (await client.post("/api/v1/tickets", json=body, headers=agent)).json()
        assert again["repeat"] is True and again["ticket_id"] == tid
