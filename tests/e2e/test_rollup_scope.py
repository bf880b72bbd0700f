"""Roll-up scope on the running stack: a province reads its counties' aggregates, a county not its sibling's."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import date, datetime, time, timedelta, timezone

import httpx
import pytest

from hotline_contracts import make_event
from hotline_contracts.events.ticket import TicketCreatedV1
from tests.e2e.test_isolation_attacks import bearer, publish

pytestmark = pytest.mark.e2e

CHINA = timezone(timedelta(hours=8))
COUNTS = {"370102": 2, "370124": 1, "370202": 3}


@pytest.fixture(scope="module")
def day() -> date:
    # A day nothing else in the session writes to, so the figures are exactly ours.
    return date(2001, 1, 1) + timedelta(days=random.randrange(7000))


@pytest.fixture(scope="module")
async def seeded(stack, day):
    for tenant, n in COUNTS.items():
        for _ in range(n):
            data = TicketCreatedV1(
                ticket_id=f"{tenant}-{day:%Y%m%d}-{uuid.uuid4().int % 10**6:06d}", business_type="fault_repair", channel="hotline",
                responsible_unit=tenant, first_contact_owner="agent:e2e", accepted_at=datetime.combine(day, time(10), CHINA),
                summary="汇总范围测试",
            )
            envelope = make_event(data, tenant=tenant, source="/hotline/intake", subject=data.ticket_id)
            await publish(stack, "ticket.created.v1", envelope.model_dump_json().encode())
    return day


async def _summary(stack, unit: str, token: str, day: date) -> httpx.Response:
    params = {"from": day.isoformat(), "to": day.isoformat()}
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(f"{stack.urls['analytics']}/api/v1/units/{unit}/summary", params=params, headers=bearer(token))


async def test_a_province_user_reads_its_counties_aggregates(stack, seeded):
    token = stack.token("37", ["supervision_centre"])
    async with asyncio.timeout(30):
        while True:
            body = (await _summary(stack, "37", token, seeded)).json()
            if body["totals"]["created"] >= sum(COUNTS.values()):
                break
            await asyncio.sleep(0.3)
    by_unit = {u["unit"]: u["totals"]["created"] for u in body["units"] if u["totals"]["created"]}
    assert by_unit == COUNTS
    city = (await _summary(stack, "3701", stack.token("3701", ["unit_staff"]), seeded)).json()
    assert city["totals"]["created"] == 3 and "370202" not in {u["unit"] for u in city["units"]}


async def test_a_county_user_cannot_read_its_siblings_or_its_parents_aggregates(stack, seeded):
    token = stack.token("370102", ["unit_staff"])
    own = await _summary(stack, "370102", token, seeded)
    assert own.status_code == 200 and {u["unit"] for u in own.json()["units"]} == {"370102"}
    for other in ("370124", "3701", "370202"):
        refused = await _summary(stack, other, token, seeded)
        assert refused.status_code == 404, other
        assert "汇总范围测试" not in refused.text and '"created"' not in refused.text
