"""Real tansu + SecantusDB: ticket.created → dispatched with a crew; crew events move it; bad events dead-lettered; handover."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from pymongo import AsyncMongoClient

from devstack.devtoken import ensure_dev_issuer, issue_token
from dispatch.app import create_app
from dispatch.settings import Settings
from hotline_contracts import make_event
from hotline_contracts.events.dispatch import (
    CrewAcceptedV1,
    CrewArrivedV1,
    CrewDepartedV1,
    FaultClassification,
    RepairCompletedV1,
)
from hotline_contracts.events.ticket import TicketCreatedV1

pytestmark = pytest.mark.integration
CST = timezone(timedelta(hours=8))
T = "370102"
STATION = "370102-S01"


def created(ticket_id: str, accepted_at: datetime, owner: str = "agent:u-37-0001") -> TicketCreatedV1:
    return TicketCreatedV1(
        ticket_id=ticket_id, business_type="fault_repair", sub_type="no_power_single_household", channel="hotline",
        account_no="3701020001", area_class="urban", responsible_unit=T, station_code=STATION,
        first_contact_owner=owner, accepted_at=accepted_at, summary="家中停电",
    )


def event(data, *, event_id: str | None = None):
    return make_event(data, tenant=T, source="/test/field-app", correlation_id="it", subject=data.ticket_id, event_id=event_id)


async def seed_crews(mongo_uri: str, prefix: str) -> None:
    client = AsyncMongoClient(mongo_uri, tz_aware=True)
    db = client[f"{prefix}_{T}"]
    now = datetime.now(UTC)
    await db.crews.insert_many([{"tenant": T, "code": f"{STATION}-C{i}", "name": f"{i}班", "station_code": STATION,
                                 "members": []} for i in (1, 2)])
    await db.crew_rosters.insert_many([{"tenant": T, "crew_code": f"{STATION}-C1", "station_code": STATION,
                                        "date": now.date().isoformat(), "shift": "day",
                                        "starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(hours=11)}])
    await client.close()


@pytest.fixture
async def running(kafka_bootstrap, mongo_uri, unique_name, tmp_path):
    key = ensure_dev_issuer(tmp_path)
    prefix = f"t{unique_name}"
    await seed_crews(mongo_uri, prefix)
    settings = Settings(kafka_bootstrap_servers=kafka_bootstrap, mongo_uri=mongo_uri, mongo_db_prefix=prefix,
                        hosted_tenants=["37", "3701", T], auth_jwks_path=str(tmp_path / "jwks.json"),
                        consumer_group=f"g{unique_name}", scan_interval_seconds=0,
                        crew_event_hold_seconds=1.0, crew_event_sweep_seconds=0.2)  # a report held for its predecessor waits 1 s
    app = create_app(settings)
    tokens = {role: issue_token(key, subject=f"{role}:u-37-0001" if role != "shift_leader" else "agent:u-37-0021",
                                tenant="37", roles=[role]) for role in ("agent", "shift_leader")}
    tokens["agent2"] = issue_token(key, subject="agent:u-37-0005", tenant="37", roles=["agent"])
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dispatch") as client,
    ):
        for _ in range(150):
            if (await client.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.2)
        yield app, client, tokens


async def wait_for(client, tokens, ticket_id: str, predicate, timeout: float = 20.0) -> dict:
    headers = {"authorization": f"Bearer {tokens['agent']}"}
    body: dict = {}
    for _ in range(int(timeout / 0.1)):
        response = await client.get(f"/api/v1/work-orders/{ticket_id}", headers=headers)
        if response.status_code == 200:
            body = response.json()
            if predicate(body):
                return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"order {ticket_id} never reached the expected state: {body}")


def counter(app, name: str, **labels) -> float:
    value = app.state.runtime.metrics.registry.get_sample_value(name, {"service": "dispatch", **labels})
    return value or 0.0


async def test_ticket_created_then_crew_events_move_it_through_arrival_and_repair(running):
    app, client, tokens = running
    publish = app.state.runtime.publisher.publish
    tid, now = "370102-20261126-100001", datetime.now(UTC) - timedelta(hours=1)  # the whole repair lies in the past
    await publish(event(created(tid, now)))
    order = await wait_for(client, tokens, tid, lambda o: o["state"] == "dispatched")
    assert order["crew_code"] == f"{STATION}-C1" and order["owner_unit"] == T
    crew = dict(ticket_id=tid, crew_code=f"{STATION}-C1", handler="crew:u-370102-0009")
    accepted = event(CrewAcceptedV1(**crew, at=now + timedelta(minutes=2)))
    await publish(accepted)
    await publish(accepted)  # redelivered: must be ignored, not applied twice
    await wait_for(client, tokens, tid, lambda o: o["state"] == "accepted")
    await publish(event(CrewDepartedV1(**crew, at=now + timedelta(minutes=3))))
    await wait_for(client, tokens, tid, lambda o: "departed" in o["milestones"])
    await publish(event(CrewArrivedV1(**crew, at=now + timedelta(minutes=30))))
    await wait_for(client, tokens, tid, lambda o: o["state"] == "on_site")
    await publish(event(RepairCompletedV1(
        **crew, at=now + timedelta(minutes=50), cause="接户线断线", fault_class=FaultClassification(level1="低压故障"),
        departed_at=now + timedelta(minutes=3), arrived_at=now + timedelta(minutes=30),
        restored_at=now + timedelta(minutes=48))))
    order = await wait_for(client, tokens, tid, lambda o: o["state"] == "repaired")
    assert [(h["from_state"], h["to_state"]) for h in order["history"]] == [
        ("created", "dispatched"), ("dispatched", "accepted"), ("accepted", "accepted"),
        ("accepted", "on_site"), ("on_site", "repaired")]
    assert counter(app, "hotline_events_consumed_total", topic="crew.accepted.v1", result="duplicate") == 1
    audited = await client.post(f"/api/v1/work-orders/{tid}/audit", json={},
                                headers={"authorization": f"Bearer {tokens['agent']}"})
    assert audited.status_code == 200 and audited.json()["state"] == "reply_audited", audited.text


async def dead_letters_of(bootstrap: str, group: str, event_ids: set[str], want: int, timeout: float = 20.0) -> list[dict]:
    """Dead letters whose refused payload is one of `event_ids` (the topic is shared by the whole session).

    Reads on for 3 s after `want` are found, so a dead letter that should not exist has time to show up.
    """
    consumer = AIOKafkaConsumer("deadletter.v1", bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                                fetch_max_wait_ms=10)
    await consumer.start()
    found: list[dict] = []
    try:
        clock = asyncio.get_running_loop().time
        deadline = clock() + timeout
        while clock() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    data = json.loads(record.value)["data"]
                    if any(event_id in data["payload"] for event_id in event_ids):
                        found.append(data)
                        if len(found) == want:
                            deadline = min(deadline, clock() + 3)
    finally:
        await consumer.stop()
    return found


async def test_a_redelivered_ticket_is_ignored_but_a_second_ticket_under_the_same_number_is_refused(
    running, unique_name, kafka_bootstrap
):
    app, client, tokens = running
    publish = app.state.runtime.publisher.publish
    tid = f"370102-RD-{unique_name}"
    first = event(created(tid, datetime.now(UTC)))
    await publish(first)
    await wait_for(client, tokens, tid, lambda o: o["state"] == "dispatched")
    duplicates = counter(app, "hotline_events_consumed_total", topic="ticket.created.v1", result="duplicate")
    second = event(created(tid, datetime.now(UTC), owner="agent:u-37-0009"))  # a new event under the same number
    await publish(first)  # the same event again (a redelivery): its stored order is its idempotency record
    await publish(second)
    refused = await dead_letters_of(kafka_bootstrap, f"dl-{unique_name}", {first.id, second.id}, want=1)
    assert [(d["reason"], second.id in d["payload"]) for d in refused] == [("duplicate_order", True)]
    assert counter(app, "hotline_events_consumed_total", topic="ticket.created.v1", result="duplicate") > duplicates
    order = await wait_for(client, tokens, tid, lambda o: True)
    assert order["first_contact_owner"] == "agent:u-37-0001" and order["source_event_id"] == first.id
    assert [(h["from_state"], h["to_state"]) for h in order["history"]] == [("created", "dispatched")]


async def test_unknown_order_and_illegal_events_are_dead_lettered_with_a_reason(running):
    app, client, tokens = running
    publish = app.state.runtime.publisher.publish
    now = datetime.now(UTC)
    await publish(event(CrewArrivedV1(ticket_id="370102-20261126-999999", crew_code="X", handler="crew:x", at=now)))
    tid = "370102-20261126-100002"
    await publish(event(created(tid, now)))
    await wait_for(client, tokens, tid, lambda o: o["state"] == "dispatched")
    # Not accepted: held for its predecessor, which never comes, then dead-lettered with that reason.
    await publish(event(CrewDepartedV1(ticket_id=tid, crew_code=f"{STATION}-C1", handler="crew:x", at=now)))
    await app.state.runtime.broker.publish(b'{"type": "cn.95598.crew.arrived.v1"}', topic="crew.arrived.v1")
    topics = {"unknown_order": "crew.arrived.v1", "crew_event_out_of_order": "crew.departed.v1",
              "validation_failed": "crew.arrived.v1"}
    reasons = dict.fromkeys(topics, 0.0)
    for _ in range(200):
        reasons = {r: counter(app, "hotline_dead_letters_total", topic=t, reason=r) for r, t in topics.items()}
        if all(reasons.values()):
            break
        await asyncio.sleep(0.1)
    # Topics outlive a test (earlier tests' events replay into this fresh group), hence "at least".
    assert all(n >= 1 for n in reasons.values()), reasons
    order = await wait_for(client, tokens, tid, lambda o: True)
    assert order["state"] == "dispatched"
    refused = await client.post(f"/api/v1/work-orders/{tid}/close", json={},
                                headers={"authorization": f"Bearer {tokens['agent']}"})
    assert refused.status_code == 409 and "reply" in refused.json()["error"]["message_en"]
    assert "允许的操作" in refused.json()["error"]["message_zh"]


async def test_handover_record_lists_exactly_the_open_orders_of_the_shift(running, unique_name):
    app, client, tokens = running
    publish = app.state.runtime.publisher.publish
    day = datetime(2026, 11, 20, tzinfo=CST)
    mine = f"agent:{unique_name}"  # topics are shared by the session: other tests' orders replay here too
    plan = {"HO-A": (day + timedelta(hours=9), "agent:u-37-0003"), "HO-B": (day + timedelta(hours=19), "agent:u-37-0004"),
            "HO-C": (day + timedelta(hours=21), "agent:u-37-0004"), "HO-D": (day - timedelta(hours=3), mine)}
    for tid, (at, owner) in plan.items():
        await publish(event(created(f"370102-{tid}", at, owner)))
    for tid in plan:
        await wait_for(client, tokens, f"370102-{tid}", lambda o: o["state"] == "dispatched")
    leader = {"authorization": f"Bearer {tokens['shift_leader']}"}
    response = await client.post("/api/v1/shifts/handovers", headers=leader, json={
        "leaving_shift": "2026-11-20/day", "arriving_shift": "2026-11-20/night", "agents": [mine]})
    assert response.status_code == 201, response.text
    record = response.json()
    # Created during the day shift (A, B) or owned by one of its agents (D); C came in at night.
    assert sorted(o["ticket_id"] for o in record["orders"]) == ["370102-HO-A", "370102-HO-B", "370102-HO-D"]
    path = f"/api/v1/shifts/handovers/{record['handover_id']}/confirm"
    assert (await client.post(path, headers=leader, json={"side": "leaving"})).status_code == 200
    arriving = {"authorization": f"Bearer {tokens['agent2']}"}
    done = await client.post(path, headers=arriving, json={"side": "arriving", "comments": ["已逐单核查"],
                                                             "checks": [{"ticket_id": "370102-HO-A", "note": "已催办"}]})
    assert done.status_code == 200 and done.json()["published_at"] is not None
    read = await client.get(f"/api/v1/shifts/handovers/{record['handover_id']}", headers=arriving)
    assert read.json()["comments"] == ["已逐单核查"] and read.json()["arriving_confirmed_by"] == "agent:u-37-0005"
