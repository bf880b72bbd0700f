"""Analytics reports: events become daily aggregates; a unit reads its subtree and nothing else."""

import csv
import io
import json

import httpx
import pytest
from faststream.kafka import TestKafkaBroker

from analytics.app import create_app
from analytics.bootstrap import fake_bootstrap
from analytics.commands import CountFact
from analytics.domain.aggregates import local_day
from analytics.settings import Settings
from analytics_builders import HOSTED, ORG_UNITS, closed, created
from servicekit.audit import AuditLog
from servicekit.kafka import EventConsumer, MemoryProcessedEvents
from servicekit.runtime import Runtime
from servicekit.tenancy import OrgTree

pytestmark = pytest.mark.unit

RANGE = {"from": "2026-11-01", "to": "2026-11-30"}


class FakeAuditDbs:
    def __init__(self):
        self.entries = []

    def for_tenant(self, tenant):
        entries = self.entries

        class Col:
            async def insert_one(self, doc):
                entries.append(doc)

        return {"audit_log": Col()}


@pytest.fixture
async def reports(issuer_key):
    settings = Settings(hosted_tenants=HOSTED, auth_jwks_path=str(issuer_key.parent / "jwks.json"))
    runtime = Runtime.build(settings)
    processed = MemoryProcessedEvents()
    runtime.consumer = lambda *a, **k: EventConsumer(  # type: ignore[method-assign]
        settings=settings, metrics=runtime.metrics, dead_letters=runtime.dead_letters, processed=processed
    )
    runtime.audit = AuditLog(FakeAuditDbs(), "analytics")  # type: ignore[arg-type]
    deps = fake_bootstrap(settings, tree=OrgTree.from_docs(ORG_UNITS))
    app = create_app(settings, runtime, start_dependencies=False, deps=deps)
    async with TestKafkaBroker(runtime.broker):
        first = created("370102", 1)
        for payload in (first, created("370102", 2, channel="wechat"), created("370124", 1), created("370202", 1)):
            await runtime.broker.publish(payload, topic="ticket.created.v1")
        await runtime.broker.publish(closed("370102", 1, within=True), topic="ticket.closed.v1")
        await runtime.broker.publish(closed("370102", 2, within=False), topic="ticket.closed.v1")
        await runtime.broker.publish(first, topic="ticket.created.v1")  # redelivery: counted once
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://analytics") as client:
            client.runtime = runtime  # type: ignore[attr-defined]
            yield client


async def test_a_reopened_order_counts_under_the_business_type_it_was_created_with():
    from datetime import datetime

    from analytics.service import count_fact

    deps = fake_bootstrap(Settings(hosted_tenants=HOSTED))
    at = datetime.fromisoformat("2026-11-26T09:00:00+08:00")
    await count_fact("370102", CountFact("created", "370102-1", at, business_type="complaint", channel="wechat"), deps=deps)
    await count_fact("370102", CountFact("reopened", "370102-1", at), deps=deps)
    await count_fact("370102", CountFact("repeat_contact", "370102-unknown", at), deps=deps)
    rows = {r["business_type"]: r for r in await deps.store.rows("370102", "2026-11-26", "2026-11-26")}
    assert (rows["complaint"]["created"], rows["complaint"]["reopened"], rows["complaint"]["channels"]) == (1, 1, {"wechat": 1})
    assert rows["unknown"]["repeat_contacts"] == 1  # an order analytics never saw created


def test_the_reporting_day_is_the_local_day_in_china():
    from datetime import datetime

    assert local_day(datetime.fromisoformat("2026-11-25T17:30:00+00:00")) == "2026-11-26"


async def test_a_province_user_reads_every_countys_aggregates(reports, bearer):
    response = await reports.get("/api/v1/units/37/summary", params=RANGE, headers=bearer("37", "supervision_centre"))
    assert response.status_code == 200
    body = response.json()
    assert body["totals"]["created"] == 4 and body["totals"]["closed"] == 2
    assert body["totals"]["timeliness_rate"] == 0.5
    by_unit = {u["unit"]: u["totals"]["created"] for u in body["units"]}
    assert by_unit == {"37": 0, "3701": 0, "3702": 0, "370102": 2, "370124": 1, "370202": 1}
    assert body["totals"]["channels"] == {"hotline": 3, "wechat": 1}


async def test_a_city_reads_its_counties_only(reports, bearer):
    body = (await reports.get("/api/v1/units/3701/summary", params=RANGE, headers=bearer("3701", "unit_staff"))).json()
    assert {u["unit"] for u in body["units"]} == {"3701", "370102", "370124"}
    assert body["totals"]["created"] == 3 and body["name"] == "国网济南供电公司"


@pytest.mark.parametrize("target", ["370124", "3701", "37", "370202"])
async def test_a_county_cannot_read_its_sibling_its_parent_or_a_cousin(reports, bearer, target):
    response = await reports.get(f"/api/v1/units/{target}/summary", params=RANGE, headers=bearer("370102", "unit_staff"))
    assert response.status_code == 404
    error = response.json()["error"]
    error.pop("correlation_id", None)  # a random id: it may contain "370" by chance
    assert "370" not in json.dumps(error, ensure_ascii=False).replace(target, "")  # names no other unit's data


async def test_a_role_without_report_access_is_403(reports, bearer):
    response = await reports.get("/api/v1/units/370102/summary", params=RANGE, headers=bearer("370102", "field_crew"))
    assert response.status_code == 403


async def test_a_reversed_or_too_long_range_is_422_with_field_messages(reports, bearer):
    headers = bearer("37", "supervision_centre")
    reversed_ = await reports.get("/api/v1/units/37/summary", params={"from": "2026-12-01", "to": "2026-11-01"}, headers=headers)
    assert reversed_.status_code == 422 and reversed_.json()["error"]["fields"][0]["loc"] == "query.from"
    too_long = await reports.get("/api/v1/units/37/summary", params={"from": "2020-01-01", "to": "2026-11-01"}, headers=headers)
    assert too_long.status_code == 422


async def test_the_export_is_masked_scoped_and_audited(reports, bearer):
    response = await reports.get("/api/v1/units/3701/export.csv", params=RANGE, headers=bearer("3701", "unit_staff"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert sorted(r["ticket_id"] for r in rows) == ["370102-20261126-000001", "370102-20261126-000002", "370124-20261126-000001"]
    assert all(r["account_no"].startswith("******") for r in rows)
    assert "13812345678" not in response.text and "138****5678" in response.text
    assert {r["within_time_limit"] for r in rows if r["ticket_id"].endswith("000002")} == {"False"}
    [entry] = reports.runtime.audit.dbs.entries
    assert (entry["tenant"], entry["action"], entry["actor"], entry["detail"]) == ("3701", "report.export", "u-3701", {"rows": 3})


async def test_an_export_outside_scope_is_404_and_the_refusal_is_audited(reports, bearer):
    response = await reports.get("/api/v1/units/3702/export.csv", params=RANGE, headers=bearer("3701", "unit_staff"))
    assert response.status_code == 404
    await reports.runtime.audit.drain()
    [entry] = reports.runtime.audit.dbs.entries
    assert (entry["tenant"], entry["action"], entry["result"]) == ("3702", "report.export", "not_found")
