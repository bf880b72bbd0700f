"""A complaint through the whole closed loop (投诉闭环) on the running stack, as its users see it.

Accepted by 95598 over intake's API; the county records its first contact in hour 1 (no first-contact
breach); the reply clock (shortened through the rule-table API) warns at every level, breaches and
supervises at the city; the county replies, 95598 audits, the customer is unsatisfied on the return
visit, the order is reopened with fresh clocks (nothing raised in its first minute) and dispatched
again; answered again, audited, a satisfied visit closes it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.loop_watch import TENANT, EventWatch, Users

pytestmark = pytest.mark.e2e
FIRST_CONTACT_MINUTES = 4  # long enough to record the contact in time, short enough that a missed one would show
SHORT_REPLY_MINUTES = 0.5  # every warning level and the breach within a few scans (scanner every 2 s in e2e)
REOPENED_REPLY_MINUTES = 3  # the reopened round: 50 % is 90 s, so a fresh clock raises nothing in its first minute


def complaint_rows(rows: list[dict], reply_minutes: float) -> list[dict]:
    out = []
    for row in rows:
        row = dict(row)
        if row.get("business_type") == "complaint" and row.get("clock") == "reply":
            row.pop("limit_working_days", None)
            row["limit_minutes"] = reply_minutes
        if row.get("business_type") == "complaint" and row.get("clock") == "first_contact":
            row["limit_minutes"] = FIRST_CONTACT_MINUTES
        out.append(row)
    return out


async def save_timelimits(users: Users, rows: list[dict]) -> None:
    body = {"effective_from": (datetime.now(UTC) - timedelta(seconds=1)).isoformat(), "rows": rows}
    await users.call("PUT", "dispatch", f"/api/v1/rules/timelimits?tenant={TENANT}", users.maintainer, json=body)


async def test_a_complaint_goes_round_the_loop_and_an_unsatisfied_visit_reopens_it_with_fresh_clocks(stack):
    users = Users(stack)
    shipped = (await users.call("GET", "dispatch", f"/api/v1/rules/timelimits?tenant={TENANT}", users.maintainer))["rows"]
    await save_timelimits(users, complaint_rows(shipped, SHORT_REPLY_MINUTES))
    try:
        async with EventWatch(stack) as watch:
            await _round_the_loop(users, watch)
    finally:
        await save_timelimits(users, shipped)  # the shipped limits again for the rest of the session
        await users.http.aclose()


async def _round_the_loop(users: Users, watch: EventWatch) -> None:
    ticket = await users.call("POST", "intake", "/api/v1/tickets", users.agent, json={
        "channel": "hotline", "business_type": "complaint", "sub_type": "service_conduct", "unit": TENANT, "contact_phone": "13800000017",
        "summary": "客户投诉营业厅工作人员态度差（闭环测试）"})
    tid = ticket["ticket_id"]
    watch.subjects.add(tid)
    order = await users.wait_order(tid, lambda o: o["state"] == "dispatched", 120, "dispatch to take the complaint")
    assert order["owner_unit"] == TENANT

    # 首次联系: the county calls the customer at once; the first-contact clock stops there.
    contacted = await users.act(tid, "customer-contacted", users.staff, {"channel": "phone", "note": "已电话致歉"})
    assert "customer_contacted" in contacted["milestones"]

    # The reply clock runs out: four warnings, the breach, and supervision at the city (3701).
    def breached() -> bool:
        return bool([e for e in watch.of("timelimit.breached.v1", tid) if e["data"]["clock"] == "reply"])

    await watch.until(breached, 90, "the reply clock's breach")
    levels = sorted(e["data"]["level"] for e in watch.of("timelimit.warning_raised.v1", tid) if e["data"]["clock"] == "reply")
    assert levels == [1, 2, 3, 4]
    await watch.until(lambda: [e for e in watch.of("supervision.raised.v1", tid) if e["data"]["raised_at_unit"] == "3701"],
                      30, "supervision at the city")
    seen = await users.order(tid)
    assert seen is not None and seen["marks"]["reply"] == {"level": 4, "breached": True}

    # Answered by the county, audited by 95598: the order waits for its return visit.
    reply = {"outcome": "resolved", "content": "已向客户致歉并对工作人员批评教育。", "customer_contacted_at": datetime.now(UTC).isoformat()}
    await users.act(tid, "reply", users.staff, reply)
    refused = await users.http.post(f"{users.urls['dispatch']}/api/v1/work-orders/{tid}/audit", json={},
                                    headers={"Authorization": f"Bearer {users.staff}"})
    assert refused.status_code == 403  # the unit never audits its own reply
    assert (await users.act(tid, "audit", users.agent))["state"] == "reply_audited"
    await users.wait_order(tid, lambda o: o["state"] == "return_visit", 60, "survey to schedule the visit")
    early = await users.http.post(f"{users.urls['dispatch']}/api/v1/work-orders/{tid}/close", json={},
                                  headers={"Authorization": f"Bearer {users.agent}"})
    assert early.status_code == 409 and early.json()["error"]["code"] == "return_visit_pending"

    # Unsatisfied: reopened with fresh clocks, dispatched again, supervised at the city.
    shipped = (await users.call("GET", "dispatch", f"/api/v1/rules/timelimits?tenant={TENANT}", users.maintainer))["rows"]
    await save_timelimits(users, complaint_rows(shipped, REOPENED_REPLY_MINUTES))
    visit = await users.due_visit(tid)
    supervisions_before = len(watch.of("supervision.raised.v1", tid))
    await users.visit_result(visit["visit_id"], "unsatisfied", "客户表示问题仍未解决")
    await watch.until(lambda: watch.of("ticket.reopened.v1", tid), 60, "the reopen")
    reopened = await users.wait_order(tid, lambda o: o["state"] == "dispatched", 60, "the reopened order dispatched again")
    assert reopened["marks"] == {} and "reopened" in reopened["milestones"] and "customer_contacted" not in reopened["milestones"]
    assert watch.of("ticket.reopened.v1", tid)[0]["data"]["cause"] == "unsatisfied_return_visit"
    await watch.until(lambda: len(watch.of("supervision.raised.v1", tid)) > supervisions_before, 30, "supervision of the reopen")
    signals_before = len(watch.of("timelimit.warning_raised.v1", tid)) + len(watch.of("timelimit.breached.v1", tid))
    await asyncio.sleep(60)  # thirty scans of the reopened order
    assert len(watch.of("timelimit.warning_raised.v1", tid)) + len(watch.of("timelimit.breached.v1", tid)) == signals_before

    # Answered again in time, audited, a satisfied visit: closed, on time for this round.
    await users.act(tid, "customer-contacted", users.staff, {"note": "再次联系客户"})
    await users.act(tid, "reply", users.staff, {"outcome": "resolved", "content": "已上门核实并整改，客户认可。",
                                                "customer_contacted_at": datetime.now(UTC).isoformat()})
    await users.act(tid, "audit", users.agent)
    await users.wait_order(tid, lambda o: o["state"] == "return_visit", 60, "the second visit scheduled")
    second = await users.due_visit(tid)
    assert second["visit_id"] != visit["visit_id"]
    await users.visit_result(second["visit_id"], "satisfied", "客户满意")
    closed = await users.wait_order(tid, lambda o: o["state"] == "closed", 60, "the close after the satisfied visit")
    assert [h["action"] for h in closed["history"]].count("reopen") == 1
    [event] = await watch.until(lambda: watch.of("ticket.closed.v1", tid), 30, "ticket.closed.v1")
    assert event["data"]["within_time_limit"] is True and event["data"]["closed_by"] == "agent:e2e-loop-leader"
    assert not [e for e in watch.of("timelimit.warning_raised.v1", tid) if e["data"]["clock"] == "first_contact"]
