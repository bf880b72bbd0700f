"""Dispatch killed after a work order is stored and before its events are published: the restart publishes them once.

Real processes: the service runs as `python -m dispatch` and is SIGKILLed; the broker is a tansu of this
module's own, so stopping it touches no other test. The ticket arrives the way intake sends it (a
ticket.created.v1 produced to the broker); the action is an HTTP request with a dev token.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from devstack.service_process import ServiceProcess, bearer, consume_events, start_in
from devstack.topics import create_topics
from hotline_contracts import make_event
from hotline_contracts.events.ticket import TicketCreatedV1

pytestmark = pytest.mark.integration
T = "370102"
STATION = "370102-S01"
CREW = f"{STATION}-C1"
NEW_TICKET_TOPICS = ["ticket.state_changed.v1", "ticket.dispatched.v1", "crew.assigned.v1"]


async def seed_crews(mongo_uri: str, prefix: str) -> None:
    """One station with two crews, one of them on duty now: a repair ticket gets that crew."""
    client = AsyncMongoClient(mongo_uri, tz_aware=True)
    db = client[f"{prefix}_{T}"]
    now = datetime.now(UTC)
    await db.crews.insert_many([{"tenant": T, "code": f"{STATION}-C{i}", "name": f"{i}班", "station_code": STATION,
                                 "members": []} for i in (1, 2)])
    await db.crew_rosters.insert_one({"tenant": T, "crew_code": CREW, "station_code": STATION, "shift": "day",
                                      "date": now.date().isoformat(), "starts_at": now - timedelta(hours=1),
                                      "ends_at": now + timedelta(hours=11)})
    await client.close()


def leader(tmp_path: Path) -> dict[str, str]:
    """A shift leader of the provincial centre: reads, urges and transfers work orders of 370102."""
    return bearer(tmp_path, subject="agent:u-37-0021", tenant="37", roles=["shift_leader"])


def start(tmp_path: Path, bootstrap: str, mongo_uri: str, prefix: str, **settings: str) -> ServiceProcess:
    return start_in(tmp_path, "dispatch", kafka=bootstrap, mongo_uri=mongo_uri, db_prefix=prefix, tenants=["37", "3701", T],
                    settings={"SCAN_INTERVAL_SECONDS": "0", **settings})


async def send_new_ticket(bootstrap: str, ticket_id: str) -> str:
    """What intake publishes for a new repair ticket; returns the event id."""
    data = TicketCreatedV1(
        ticket_id=ticket_id, business_type="fault_repair", sub_type="no_power_single_household", channel="hotline",
        account_no="3701020001", area_class="urban", responsible_unit=T, station_code=STATION,
        first_contact_owner="agent:u-37-0001", accepted_at=datetime.now(UTC), summary="家中停电",
    )
    envelope = make_event(data, tenant=T, source="/hotline/intake", subject=ticket_id, correlation_id="crash-test")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            data.topic(), envelope.model_dump_json().encode(), key=ticket_id.encode(),
            headers=[("ce_type", envelope.type.encode()), ("ce_id", envelope.id.encode())],
        )
    finally:
        await producer.stop()
    return envelope.id


async def wait_for_order(service: ServiceProcess, headers: dict[str, str], ticket_id: str, timeout: float = 60) -> dict:
    """The work order as a user reads it, once dispatch has stored it."""
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient(base_url=service.url, headers=headers, timeout=10) as client:
        while asyncio.get_running_loop().time() < deadline:
            response = await client.get(f"/api/v1/work-orders/{ticket_id}")
            if response.status_code == 200:
                return response.json()
            await asyncio.sleep(0.2)
    raise AssertionError(f"{ticket_id} never stored:\n{service.proc.tail(40)}")


async def post(service: ServiceProcess, headers: dict[str, str], path: str, body: dict) -> dict:
    async with httpx.AsyncClient(base_url=service.url, headers=headers, timeout=15) as client:
        response = await client.post(path, json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def once_each(seen: list[dict], ticket_id: str, types: list[str]) -> None:
    assert sorted(e["type"] for e in seen) == sorted(f"cn.95598.{t}" for t in types)
    assert len({e["id"] for e in seen}) == len(seen)  # each event once
    assert {(e["subject"], e["tenant"], e["source"]) for e in seen} == {(ticket_id, T, "/hotline/dispatch")}


async def test_killed_after_storing_the_order_and_an_urge_the_restarted_dispatch_publishes_each_event_once(
    tmp_path, own_broker, mongo_uri, unique_name
) -> None:
    prefix, ticket_id = f"t{unique_name}", f"{T}-CRASH-{unique_name}"
    await create_topics(own_broker.bootstrap)
    await seed_crews(mongo_uri, prefix)
    headers = leader(tmp_path)
    paused = start(tmp_path, own_broker.bootstrap, mongo_uri, prefix, OUTBOX_PAUSED="true")
    try:
        await asyncio.to_thread(paused.wait_ready)
        await send_new_ticket(own_broker.bootstrap, ticket_id)
        order = await wait_for_order(paused, headers, ticket_id)
        assert (order["state"], order["crew_code"]) == ("dispatched", CREW)
        assert not any(k.startswith("outbox") for k in order)
        await post(paused, headers, f"/api/v1/work-orders/{ticket_id}/urge", {"reason": "客户第三次来电催问"})
    finally:
        paused.kill()  # state stored, events never published
    restarted = start(tmp_path, own_broker.bootstrap, mongo_uri, prefix, OUTBOX_STALE_AFTER_SECONDS="2")
    try:
        await asyncio.to_thread(restarted.wait_ready)
        seen = await consume_events(own_broker.bootstrap, [*NEW_TICKET_TOPICS, "ticket.urged.v1"],
                                    match=lambda e: e.get("subject") == ticket_id, until=lambda s: len(s) >= 4, timeout=60)
        history = (await wait_for_order(restarted, headers, ticket_id))["history"]
    finally:
        restarted.proc.stop()
    once_each(seen, ticket_id, [*NEW_TICKET_TOPICS, "ticket.urged.v1"])
    assert [h["action"] for h in history] == ["dispatch", "urge"]  # a redelivered ticket.created changed nothing


@pytest.mark.xfail(
    reason="known gap of the embedded broker, not of the relay (issue #22): tansu on memory storage comes back with no "
    "topics and acknowledges produce requests to them, then drops the records. Measured: after the restart the relay's "
    "hotline_events_published_total counts ticket.transferred.v1 and ticket.urged.v1 once each and its backlog is 0, "
    "yet no consumer reads them. Real Kafka (and a durable tansu) keep their topics across a restart",
    strict=False,
)
async def test_an_action_taken_while_the_broker_is_down_is_published_once_it_is_back(
    tmp_path, own_broker, mongo_uri, unique_name
) -> None:
    prefix, ticket_id = f"t{unique_name}", f"{T}-DOWN-{unique_name}"
    await create_topics(own_broker.bootstrap)
    await seed_crews(mongo_uri, prefix)
    headers = leader(tmp_path)
    service = start(tmp_path, own_broker.bootstrap, mongo_uri, prefix)
    try:
        await asyncio.to_thread(service.wait_ready)
        await send_new_ticket(own_broker.bootstrap, ticket_id)
        assert (await wait_for_order(service, headers, ticket_id))["state"] == "dispatched"
        own_broker.stop()  # the broker goes away; actions are still taken and stored
        moved = await post(service, headers, f"/api/v1/work-orders/{ticket_id}/transfer",
                           {"to_unit": "370124", "reason": "属地为历城区"})
        assert (moved["state"], moved["owner_unit"]) == ("transferred", "370124")
        await post(service, headers, f"/api/v1/work-orders/{ticket_id}/urge", {"reason": "请尽快处理"})
        own_broker.restart()
        seen = await consume_events(own_broker.bootstrap, ["ticket.transferred.v1", "ticket.urged.v1"],
                                    match=lambda e: e.get("subject") == ticket_id, until=lambda s: len(s) >= 2, timeout=90)
    finally:
        service.proc.stop()
    once_each(seen, ticket_id, ["ticket.transferred.v1", "ticket.urged.v1"])
    (transferred,) = [e for e in seen if e["type"] == "cn.95598.ticket.transferred.v1"]
    assert (transferred["data"]["from_unit"], transferred["data"]["to_unit"]) == (T, "370124")
