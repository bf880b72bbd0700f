"""Intake killed after an order is stored and before its events are published: the restart publishes them once.

Real processes: the service runs as `python -m intake` and is SIGKILLed; the broker is a tansu of this
module's own, so stopping it touches no other test.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from devstack.service_process import ServiceProcess, bearer, consume_events, start_in
from intake_fixtures import NORMAL
from intake_support import seed_customers

pytestmark = pytest.mark.integration
TENANT = "370102"


def agent(tmp_path: Path) -> dict[str, str]:
    return bearer(tmp_path, subject="zhangsan", tenant="37", roles=["agent"])


def start(tmp_path: Path, bootstrap: str, mongo_uri: str, prefix: str, **settings: str) -> ServiceProcess:
    return start_in(tmp_path, "intake", kafka=bootstrap, mongo_uri=mongo_uri, db_prefix=prefix, tenants=["37", TENANT],
                    settings=settings)


TOPICS = ["ticket.created.v1", "ticket.repeat_contact_attached.v1"]


async def take_calls(url: str, headers: dict[str, str], summary: str) -> str:
    """A new order, then the same customer calling again about it (a repeat contact): two stored writes, two events.

    The agent reads the order back: it is stored before anything is published."""
    body = {"business_type": "consultation", "account_no": NORMAL.account_no, "summary": summary}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=15) as client:
        first = await client.post("/api/v1/tickets", json=body)
        again = await client.post("/api/v1/tickets", json=body)
        assert (first.status_code, again.status_code) == (201, 200)
        ticket_id: str = first.json()["ticket_id"]
        assert again.json()["ticket_id"] == ticket_id
        assert (await client.get(f"/api/v1/tickets/{ticket_id}")).status_code == 200
    return ticket_id


def published_once(seen: list[dict], ticket_id: str) -> None:
    assert sorted(e["type"] for e in seen) == ["cn.95598.ticket.created.v1", "cn.95598.ticket.repeat_contact_attached.v1"]
    assert len({e["id"] for e in seen}) == len(seen)  # each event once
    assert {e["subject"] for e in seen} == {ticket_id}


async def test_killed_after_storing_its_orders_the_restarted_intake_publishes_each_event_once(
    tmp_path, own_broker, mongo_uri, unique_name
) -> None:
    prefix = f"t{unique_name}"
    await seed_customers(mongo_uri, prefix, [NORMAL])
    headers = agent(tmp_path)
    paused = start(tmp_path, own_broker.bootstrap, mongo_uri, prefix, OUTBOX_PAUSED="true")
    try:
        paused.wait_ready()
        ticket_id = await take_calls(paused.url, headers, f"咨询电价 {unique_name}")
    finally:
        paused.kill()  # state stored, events never published
    restarted = start(tmp_path, own_broker.bootstrap, mongo_uri, prefix, OUTBOX_STALE_AFTER_SECONDS="2")
    try:
        restarted.wait_ready(timeout=180)  # the dead process's group members hold the partitions until their session times out
        seen = await consume_events(own_broker.bootstrap, TOPICS, match=lambda e: e.get("subject") == ticket_id,
                                    until=lambda s: len(s) >= 2, timeout=60)
    finally:
        restarted.proc.stop()
    published_once(seen, ticket_id)


async def test_orders_taken_while_the_broker_is_down_are_published_once_it_is_back(
    tmp_path, own_broker, mongo_uri, unique_name
) -> None:
    prefix = f"t{unique_name}"
    await seed_customers(mongo_uri, prefix, [NORMAL])
    headers = agent(tmp_path)
    service = start(tmp_path, own_broker.bootstrap, mongo_uri, prefix)
    try:
        service.wait_ready()
        own_broker.stop()  # the broker goes away; orders are still taken and stored
        ticket_id = await take_calls(service.url, headers, f"咨询 {unique_name}")
        own_broker.restart()
        seen = await consume_events(own_broker.bootstrap, TOPICS, match=lambda e: e.get("subject") == ticket_id,
                                    until=lambda s: len(s) >= 2, timeout=90)
    finally:
        service.proc.stop()
    published_once(seen, ticket_id)
