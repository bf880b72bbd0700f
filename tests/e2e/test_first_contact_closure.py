"""首问办结 on the running stack: a consultation closed at first contact never shows up as open work in dispatch."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from tests.e2e.closed_loop import Api, bearer, eventually

pytestmark = pytest.mark.e2e
CST = timezone(timedelta(hours=8))
UNIT = "370102"


def shifts_now() -> tuple[str, str]:
    """(leaving, arriving) shift names of the centre's default table (day 08-20, night 20-08) around now."""
    now = datetime.now(CST)
    if 8 <= now.hour < 20:
        return f"{now.date()}/day", f"{now.date()}/night"
    night = now.date() if now.hour >= 20 else now.date() - timedelta(days=1)
    return f"{night}/night", f"{night + timedelta(days=1)}/day"


async def test_a_consultation_closed_at_first_contact_is_never_dispatched_queued_or_handed_over(stack):
    api = Api(stack, "fcr")
    try:
        consultation = await api.ticket({"channel": "hotline", "business_type": "consultation", "unit": UNIT,
                                         "summary": "咨询阶梯电价计算方式，已当场解答", "resolved_at_first_contact": True})
        assert consultation["state"] == "closed" and consultation["dispatch_requested"] is False
        # A suggestion from the same agent right after it: dispatch takes that one, which shows it has read past the consultation.
        suggestion = await api.ticket({"channel": "web", "business_type": "suggestion", "unit": UNIT, "summary": "建议增加周末营业时间"})
        await eventually(lambda: api.order(suggestion["ticket_id"], UNIT), 120, f"dispatch to take {suggestion['ticket_id']}")
        await asyncio.sleep(3)  # new tickets are handled concurrently: give the earlier one every chance to land

        assert await api.order(consultation["ticket_id"], UNIT) is None  # no work order: not routed, not dispatched
        assert (await api.intake_ticket(consultation["ticket_id"]))["state"] == "closed"  # intake keeps it, closed

        leaving, arriving = shifts_now()
        body = {"leaving_shift": leaving, "arriving_shift": arriving, "agents": [api.agent_id]}
        r = await api.http.post(f"{api.urls['dispatch']}/api/v1/shifts/handovers", json=body, headers=bearer(api.leader))
        assert r.status_code == 201, r.text[:300]
        handed_over = {o["ticket_id"] for o in r.json()["orders"]}
        assert suggestion["ticket_id"] in handed_over  # the agent's open work is handed over ...
        assert consultation["ticket_id"] not in handed_over  # ... the closed consultation is not
    finally:
        await api.close()
