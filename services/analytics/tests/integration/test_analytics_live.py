"""Analytics against real tansu and SecantusDB: events in, a scoped summary and the audit log out."""

import asyncio

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from analytics.app import create_app
from analytics.settings import Settings
from analytics_builders import HOSTED, ORG_UNITS, created

pytestmark = pytest.mark.integration



def _own_day(unique_name: str) -> str:
    """A past day no other test uses: the session broker's ticket.created.v1 carries other tests' events too."""
    from datetime import date, timedelta

    return (date(2020, 1, 1) + timedelta(days=int(unique_name, 16) % 1500)).isoformat()


async def _until(check, timeout: float = 30.0):
    async with asyncio.timeout(timeout):
        while True:
            result = await check()
            if result:
                return result
            await asyncio.sleep(0.2)


async def test_events_roll_up_the_tree_and_an_unhosted_tenants_event_is_refused_and_audited(
    kafka_bootstrap, mongo_uri, unique_name, issuer_key, bearer
):
    settings = Settings(
        kafka_bootstrap_servers=kafka_bootstrap, mongo_uri=mongo_uri, mongo_db_prefix=f"t{unique_name}",
        hosted_tenants=HOSTED, auth_jwks_path=str(issuer_key.parent / "jwks.json"),
    )
    day = _own_day(unique_name)
    RANGE = {"from": day, "to": day}
    at = f"{day}T09:31:12+08:00"
    app = create_app(settings, group_prefix=f"analytics-{unique_name}")
    runtime = app.state.runtime
    await runtime.dbs.platform()["org_units"].insert_many([dict(u) for u in ORG_UNITS])
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as client:
        await _until(lambda: _ready(client), 60)
        await producer.start()
        try:
            for payload in (created("370102", 1, at), created("370124", 1, at), created("370202", 1, at), created("370681", 1, at)):
                await producer.send_and_wait("ticket.created.v1", payload)
        finally:
            await producer.stop()
        province = bearer("37", "supervision_centre")

        async def three_created():
            r = await client.get("/api/v1/units/37/summary", params=RANGE, headers=province)
            return r.json() if r.status_code == 200 and r.json()["totals"]["created"] == 3 else None

        body = await _until(three_created)
        assert {u["unit"]: u["totals"]["created"] for u in body["units"] if u["totals"]["created"]} == {
            "370102": 1, "370124": 1, "370202": 1}
        sibling = await client.get("/api/v1/units/370124/summary", params=RANGE, headers=bearer("370102", "unit_staff"))
        assert sibling.status_code == 404

        async def refused_event():
            r = await client.get("/api/v1/audit", params={"tenant": "37", "result": "tenant_not_hosted"}, headers=province)
            return r.json()["entries"] if r.status_code == 200 else None

        [entry] = await _until(refused_event)
        assert entry["detail"]["claimed_tenant"] == "370681" and entry["actor"] is None


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200
