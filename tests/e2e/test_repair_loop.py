"""A fault repair through the closed loop (报修闭环) on the running stack.

A repair call is routed to the customer's supply station and one of its crews; the crew's app (an external
producer: plain aiokafka, envelopes written by hand and checked against the published JSON Schema) reports
acceptance, departure, arrival and completion; 95598 audits the reply, a satisfied return visit closes the
order, 95598 archives it, and analytics counts it as closed within its time limit.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from aiokafka import AIOKafkaProducer

from tests.e2e.customers import fresh_customers
from tests.e2e.loop_watch import TENANT, EventWatch, Users

pytestmark = pytest.mark.e2e
SCHEMAS = Path(__file__).resolve().parents[2] / "libs" / "contracts" / "schemas"


def crew_envelope(topic: str, ticket_id: str, data: dict[str, Any]) -> bytes:
    """What a crew app sends: a CloudEvents envelope by hand, valid against the published schema of `topic`."""
    envelope = {
        "specversion": "1.0", "id": str(uuid.uuid4()), "source": "/crew-app/e2e", "type": f"cn.95598.{topic}",
        "subject": ticket_id, "time": datetime.now(UTC).isoformat(), "datacontenttype": "application/json",
        "dataschema": f"urn:95598:schema:{topic}", "tenant": TENANT, "correlation_id": f"c-{ticket_id}", "data": data,
    }
    jsonschema.validate(envelope, json.loads((SCHEMAS / f"{topic}.json").read_text(encoding="utf-8")))
    return json.dumps(envelope, ensure_ascii=False).encode()


async def test_a_repair_is_crewed_answered_audited_visited_closed_archived_and_counted(stack):
    users = Users(stack)
    try:
        async with EventWatch(stack) as watch:
            await _repair(stack, users, watch)
    finally:
        await users.http.aclose()


async def _crewed_call(users: Users, watch: EventWatch, stack: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A repair call routed to the caller's station and one of its crews. A station whose roster has nobody on
    duty right now gets the order without a crew (its unit assigns one): that caller is passed over."""
    for customer in fresh_customers(stack, 5, area_class="urban", important=False):
        ticket = await users.call("POST", "intake", "/api/v1/tickets", users.agent, json={
            "channel": "hotline", "business_type": "fault_repair", "sub_type": "no_power_single_household",
            "account_no": customer["account_no"], "summary": "客户反映家中停电（报修闭环测试）"})
        assert ticket["created"], ticket  # a fresh customer: a new order, not a repeat contact
        watch.subjects.add(ticket["ticket_id"])
        order = await users.wait_order(ticket["ticket_id"], lambda o: o["state"] == "dispatched", 120, "dispatch to take the repair")
        assert order["station_code"] == customer["station_code"], order  # the customer's own supply station
        if order["crew_code"]:
            return customer, order
    raise AssertionError("none of 5 repair calls found a crew on duty at its station")


async def _repair(stack: Any, users: Users, watch: EventWatch) -> None:
    customer, order = await _crewed_call(users, watch, stack)
    tid = order["ticket_id"]
    crew = order["crew_code"]
    [assigned] = await watch.until(lambda: watch.of("crew.assigned.v1", tid), 30, "crew.assigned.v1")
    assert assigned["data"]["station_code"] == customer["station_code"]

    now = datetime.now(UTC)
    base = {"ticket_id": tid, "crew_code": crew, "handler": "crew:e2e-liqiang"}
    completed = base | {"cause": "接户线被树枝压断", "fault_class": {"level1": "低压故障", "level2": "低压线路故障"},
                        "departed_at": (now + timedelta(seconds=2)).isoformat(), "arrived_at": (now + timedelta(seconds=4)).isoformat(),
                        "restored_at": (now + timedelta(seconds=6)).isoformat(), "at": (now + timedelta(seconds=7)).isoformat()}
    steps = [("crew.accepted.v1", base | {"at": (now + timedelta(seconds=1)).isoformat()}),
             ("crew.departed.v1", base | {"at": (now + timedelta(seconds=2)).isoformat()}),
             ("crew.arrived.v1", base | {"at": (now + timedelta(seconds=4)).isoformat()}),
             ("repair.completed.v1", completed)]
    # The crew's app was offline and syncs all four reports at once, newest first: they are on four topics,
    # so dispatch reads them in any order, and it must apply them in the order they happened.
    producer = AIOKafkaProducer(bootstrap_servers=f"127.0.0.1:{9092 + stack.offset}")
    await producer.start()
    try:
        sent = [await producer.send(topic, crew_envelope(topic, tid, data), key=tid.encode()) for topic, data in reversed(steps)]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    repaired = await users.wait_order(tid, lambda o: o["state"] == "repaired", 90, "the four crew reports applied")
    assert repaired["crew_code"] == crew, repaired
    for milestone in ("accepted", "departed", "on_site", "repaired"):
        assert milestone in repaired["milestones"], (milestone, repaired["milestones"])
    assert repaired["milestones"]["accepted"] <= repaired["milestones"]["departed"] <= repaired["milestones"]["on_site"]
    assert not watch.of("deadletter.v1", tid), watch.of("deadletter.v1", tid)  # nothing refused along the way

    # The crew's times lie up to 7 s after `now`; 95598 audits once they are past (a time in the future fails the audit).
    await asyncio.sleep(max(0.0, (now + timedelta(seconds=8) - datetime.now(UTC)).total_seconds()))
    audited = await users.act(tid, "audit", users.agent)
    assert audited["state"] == "reply_audited" and audited["audit_reasons"] == [], audited["audit_reasons"]
    await users.wait_order(tid, lambda o: o["state"] == "return_visit", 60, "survey to schedule the visit")
    visit = await users.due_visit(tid)
    assert visit["business_type"] == "fault_repair"
    await users.visit_result(visit["visit_id"], "satisfied", "抢修及时，客户满意")
    await users.wait_order(tid, lambda o: o["state"] == "closed", 60, "the close after the satisfied visit")
    [closed] = await watch.until(lambda: watch.of("ticket.closed.v1", tid), 30, "ticket.closed.v1")
    assert closed["data"]["within_time_limit"] is True
    archived = await users.act(tid, "archive", users.agent, {"reason": "回访满意，归档"})
    assert archived["state"] == "archived" and archived["allowed_actions"] == []

    day = date.fromisoformat(order["created_at"][:10])
    lead = stack.token(TENANT, ["centre_director"], subject="director:e2e-loop")

    async def counted() -> dict[str, str] | None:
        params = {"from": (day - timedelta(days=1)).isoformat(), "to": (day + timedelta(days=1)).isoformat()}
        r = await users.http.get(f"{users.urls['analytics']}/api/v1/units/{TENANT}/export.csv", params=params,
                                 headers={"Authorization": f"Bearer {lead}"})
        assert r.status_code == 200, r.text[:300]
        return next((row for row in csv.DictReader(io.StringIO(r.text)) if row["ticket_id"] == tid and row["closed_at"]), None)

    row = None
    for _ in range(60):  # analytics consumes ticket.closed.v1 in the background
        row = await counted()
        if row:
            break
        await asyncio.sleep(1)
    assert row is not None, f"analytics never counted {tid} as closed"
    assert (row["business_type"], row["within_time_limit"].lower()) == ("fault_repair", "true")
