"""班组事件 on the running stack: a field app's reports read in the wrong order, and a crew of another unit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.closed_loop import Api, dead_letters, envelope, eventually, send_all
from tests.e2e.customers import fresh_customers

pytestmark = pytest.mark.e2e
UNIT, OTHER_UNIT = "370102", "370124"


async def crewed_repair(api: Api) -> dict[str, Any]:
    """A repair call of a 370102 customer, dispatched with a crew (customers whose station has none on duty are passed over)."""
    for customer in fresh_customers(api.stack, 8, tenant=UNIT, area_class="urban"):
        made = await api.ticket({"channel": "hotline", "business_type": "fault_repair", "sub_type": "no_power_single_household",
                                 "account_no": customer["account_no"], "summary": "客户反映家中突然停电"})
        if made["repeat"]:
            continue  # this customer already has an open repair from another test
        order = await eventually(lambda t=made["ticket_id"]: api.order(t, UNIT), 120, f"dispatch to take {made['ticket_id']}")
        if order["crew_code"]:
            return order
    raise AssertionError("no repair call of the first 8 customers found a crew on duty")


def reports(order: dict[str, Any], crew: str) -> dict[str, dict[str, Any]]:
    """The four reports of the crew's app, stamped a second apart after the order was created, as JSON by the schema."""
    tid, start = order["ticket_id"], datetime.fromisoformat(order["created_at"]).astimezone(UTC)
    at = {step: (start + timedelta(seconds=n + 1)).isoformat() for n, step in enumerate(("accepted", "departed", "arrived", "completed"))}
    base = {"ticket_id": tid, "crew_code": crew, "handler": "crew:e2e-lead"}
    return {
        "crew.accepted.v1": envelope("crew.accepted.v1", UNIT, tid, base | {"at": at["accepted"], "eta_minutes": 20}),
        "crew.departed.v1": envelope("crew.departed.v1", UNIT, tid, base | {"at": at["departed"]}),
        "crew.arrived.v1": envelope("crew.arrived.v1", UNIT, tid, base | {"at": at["arrived"]}),
        "repair.completed.v1": envelope("repair.completed.v1", UNIT, tid, base | {
            "at": at["completed"], "cause": "接户线被树枝压断", "fault_class": {"level1": "低压故障", "level2": "低压线路故障"},
            "departed_at": at["departed"], "arrived_at": at["arrived"], "restored_at": at["completed"]}),
    }


async def test_reports_synced_at_once_in_the_wrong_order_end_repaired_with_the_crew_and_every_milestone(stack):
    api = Api(stack, "crew")
    try:
        order = await crewed_repair(api)
        tid, crew = order["ticket_id"], order["crew_code"]
        events = reports(order, crew)
        await asyncio.sleep(max(0.0, (datetime.fromisoformat(events["repair.completed.v1"]["data"]["at"]) - datetime.now(UTC)).total_seconds()))
        wrong_order = ("repair.completed.v1", "crew.arrived.v1", "crew.departed.v1", "crew.accepted.v1")
        await send_all(stack, [(topic, events[topic]) for topic in wrong_order])

        async def repaired() -> dict[str, Any] | None:
            seen = await api.order(tid, UNIT)
            return seen if seen and seen["state"] == "repaired" and "departed" in seen["milestones"] else None

        done = await eventually(repaired, 90, f"{tid} to be repaired with every milestone")
        assert done["crew_code"] == crew
        stamped = {k: datetime.fromisoformat(v) for k, v in done["milestones"].items()}
        for milestone, topic in (("accepted", "crew.accepted.v1"), ("departed", "crew.departed.v1"),
                                 ("on_site", "crew.arrived.v1"), ("repaired", "repair.completed.v1")):
            assert stamped[milestone] == datetime.fromisoformat(events[topic]["data"]["at"]), milestone
        moves = [h["action"] for h in done["history"] if h["from_state"] != h["to_state"]]
        assert moves == ["dispatch", "accept", "arrive", "complete"]  # the state moved in lifecycle order
        ids = {m["id"] for m in events.values()}
        assert await dead_letters(stack, lambda m: any(i in m["data"]["payload"] for i in ids), want=0, seconds=8) == []
    finally:
        await api.close()


async def test_a_crew_of_another_unit_is_refused_with_the_reason(stack):
    api = Api(stack, "foreign")
    try:
        own_crew = (await crewed_repair(api))["crew_code"]  # a real crew, of 370102
        made = await api.ticket({"channel": "web", "business_type": "suggestion", "unit": OTHER_UNIT, "summary": "建议公布抢修进度"})
        tid = made["ticket_id"]
        order = await eventually(lambda: api.order(tid, OTHER_UNIT), 120, f"dispatch to take {tid}")
        assert order["crew_code"] is None  # no crew yet: the first crew to accept would take it
        at = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
        accepted = envelope("crew.accepted.v1", OTHER_UNIT, tid, {"ticket_id": tid, "crew_code": own_crew, "handler": "crew:e2e-x", "at": at})
        await send_all(stack, [("crew.accepted.v1", accepted)])

        (letter,) = await dead_letters(stack, lambda m: accepted["id"] in m["data"]["payload"], want=1, seconds=60)
        assert letter["data"]["reason"] == "crew_not_of_unit" and letter["data"]["original_topic"] == "crew.accepted.v1"
        assert OTHER_UNIT in letter["data"]["errors"][0]["message_zh"] and "unit" in letter["data"]["errors"][0]["message_en"]
        after = await api.order(tid, OTHER_UNIT)
        assert after is not None and after["state"] == "dispatched" and after["crew_code"] is None
    finally:
        await api.close()
