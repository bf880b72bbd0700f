"""重复来电 on the running stack: a call after the repeat window joins the still-open order, no second order or crew."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.closed_loop import Api, bearer, eventually
from tests.e2e.customers import fresh_customers

pytestmark = pytest.mark.e2e
UNIT = "370102"
WINDOW_HOURS = 0.001  # 3.6 s: the tenant's window, saved through the rule API, passes within the test


async def save_window(api: Api, token: str, hours: float) -> None:
    body = {"effective_from": (datetime.now(UTC) - timedelta(seconds=1)).isoformat(), "rows": [{"business_type": "*", "window_hours": hours}]}
    r = await api.http.put(f"{api.urls['intake']}/api/v1/rules/repeat_calls", json=body, headers=bearer(token))
    assert r.status_code == 201, r.text[:300]


async def test_a_call_after_the_repeat_window_joins_the_open_order_instead_of_opening_a_second(stack):
    api = Api(stack, "repeat")
    maintainer = stack.token(UNIT, ["system_maintainer"], subject="maint:e2e-repeat")
    await save_window(api, maintainer, WINDOW_HOURS)
    try:
        for customer in fresh_customers(api.stack, 12, tenant=UNIT, area_class="urban"):
            call = {"channel": "hotline", "business_type": "fault_repair", "sub_type": "no_power_single_household",
                    "account_no": customer["account_no"], "summary": "客户反映家中停电"}
            first = await api.ticket(call)
            if first["created"]:
                break
        else:
            raise AssertionError("every candidate customer already had an open repair")
        tid = first["ticket_id"]
        order = await eventually(lambda: api.order(tid, UNIT), 120, f"dispatch to take {tid}")
        assert order["state"] not in ("closed", "archived")
        await asyncio.sleep(WINDOW_HOURS * 3600 + 2)  # the window has passed; the order is still open

        again = await api.ticket(call | {"channel": "wechat", "summary": "客户再次来电催问抢修进度"})
        assert again["repeat"] is True and again["created"] is False and again["ticket_id"] == tid
        assert again["contact_count"] == 2
        r = await api.http.get(f"{api.urls['intake']}/api/v1/tickets", params={"unit": UNIT, "business_type": "fault_repair", "limit": 200},
                               headers=bearer(api.agent))
        mine = [t["ticket_id"] for t in r.json() if t["account_no"] == customer["account_no"] and t["state"] != "closed"]
        assert mine == [tid]  # one open order for the customer in intake ...
        still = await api.order(tid, UNIT)
        assert still is not None and still["crew_code"] == order["crew_code"]  # ... and the same order and crew in dispatch
    finally:
        await save_window(api, maintainer, 24)  # the shipped default, for the rest of the session
        await api.close()
