"""The HTTP API through the ASGI client with in-memory adapters: refusals, lookups and the public notice."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path

import httpx
import pytest

from devstack.devtoken import ensure_dev_issuer, issue_token
from outage_fixtures import NOW, TENANT
from outage_notice.app import create_app
from outage_notice.settings import Settings
from servicekit.runtime import Runtime

pytestmark = pytest.mark.unit


class FakeAudit:
    def __init__(self) -> None:
        self.records: list[tuple[str, str, str]] = []

    async def record(self, tenant, *, actor, action, target, result, detail=None) -> None:
        self.records.append((action, target, result))

    def record_refusal(self, tenant, *, actor, action, target, result, detail=None) -> None:
        self.records.append((action, target, result))

    def bind_metrics(self, registry) -> None:
        pass

    async def drain(self) -> None:
        pass


@pytest.fixture
async def api(tmp_path: Path, deps):
    key_path = ensure_dev_issuer(tmp_path)
    settings = Settings(auth_jwks_path=str(tmp_path / "jwks.json"), hosted_tenants=["37", TENANT])
    runtime = Runtime.build(settings)
    runtime.audit = FakeAudit()  # type: ignore[assignment]
    app = create_app(settings, runtime, start_dependencies=False, deps=deps)
    token = issue_token(key_path, subject="li", tenant=TENANT, roles=["unit_staff"])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://outage", headers={"Authorization": f"Bearer {token}"}) as client:
        client.audit = runtime.audit  # type: ignore[attr-defined]
        yield client


def body(start_in: timedelta) -> dict:
    start = NOW + start_in
    return {
        "outage_id": "TD-370102-77", "outage_type": "temporary", "scope": {"feeder_codes": ["F-1"], "area": "泉城路以南"},
        "planned_start": start.isoformat(), "planned_end": (start + timedelta(hours=4)).isoformat(), "cause": "10kV线路抢修",
    }


async def test_report_change_without_reason_is_refused_bilingually_per_field(api):
    created = await api.post("/api/v1/outages", json=body(timedelta(hours=2)))
    assert created.status_code == 201 and created.json()["state"] == "published"
    refused = await api.patch("/api/v1/outages/TD-370102-77", json={"planned_end": (NOW + timedelta(hours=9)).isoformat()})
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["fields"][0]["loc"] == "body.reason" and error["fields"][0]["message_zh"] and error["fields"][0]["message_en"]
    assert ("outage.report", "TD-370102-77", "ok") in api.audit.records


async def test_lookup_answers_inside_and_outside_the_outage_with_the_script(api):
    await api.post("/api/v1/outages", json=body(timedelta(minutes=-10)))
    inside = (await api.get("/api/v1/outages/lookup", params={"account_no": "3701020001"})).json()
    assert inside["known"] is True and inside["cause"] == "10kV线路抢修"
    assert "已经知道" in inside["script_zh"] and "恢复供电" in inside["script_zh"]
    assert inside["expected_restoration"].startswith("2026-11-20T05:50")
    outside = (await api.get("/api/v1/outages/lookup", params={"account_no": "3701020005"})).json()
    assert outside["known"] is False and outside["matches"] == []
    by_area = (await api.get("/api/v1/outages/lookup", params={"address": "泉城路以南"})).json()
    assert by_area["known"] is True
    two_keys = await api.get("/api/v1/outages/lookup", params={"account_no": "3701020001", "ta_code": "TA-1"})
    assert two_keys.status_code == 422


async def test_public_notice_lists_current_outages_without_customer_data(api):
    await api.post("/api/v1/outages", json=body(timedelta(hours=2)))
    feed = await api.get("/public/370102/outages.json", headers={"Authorization": ""})
    assert feed.status_code == 200
    [item] = feed.json()["outages"]
    assert item["status"] == "upcoming" and item["area"] == "泉城路以南"
    assert "3701020001" not in feed.text and "1380000" not in feed.text
    page = await api.get("/public/370102/outages.html")
    assert "停电信息公告" in page.text and "10kV线路抢修" in page.text
    assert (await api.get("/public/370999/outages.json")).status_code == 404


async def test_rule_tables_are_validated_on_save(api):
    bad = await api.put("/api/v1/outage-rules/outage_lead_time", json={"rows": [{"outage_type": "planned", "min_lead_minutes": 10}], "settings": {"change_notice_minutes": 60}})
    assert bad.status_code == 403  # unit staff may read rules, not write them


async def test_a_director_saves_a_new_lead_time_version_a_broken_one_is_refused_field_by_field_and_both_are_audited(api, deps, tmp_path):
    deps.rules.audit = api.audit
    director = {"Authorization": f"Bearer {issue_token(ensure_dev_issuer(tmp_path), subject='wang', tenant=TENANT, roles=['centre_director'])}"}
    broken = await api.put("/api/v1/outage-rules/outage_lead_time", headers=director,
                           json={"rows": [{"outage_type": "planned", "min_lead_minutes": -1}], "settings": {"change_notice_minutes": 60}})
    assert broken.status_code == 422
    assert [f["loc"] for f in broken.json()["error"]["fields"]] == ["body.rows.0.min_lead_minutes"]
    assert all(f["message_zh"] and f["message_en"] for f in broken.json()["error"]["fields"])
    table = {"rows": [{"outage_type": "*", "min_lead_minutes": 120}], "settings": {"change_notice_minutes": 30},
             "effective_from": (NOW - timedelta(minutes=1)).isoformat()}
    saved = await api.put("/api/v1/outage-rules/outage_lead_time", headers=director, json=table)
    assert saved.status_code == 200 and saved.json()["version"] == 2 and saved.json()["saved_by"] == "wang"
    now = (await api.get("/api/v1/outage-rules/outage_lead_time", headers=director)).json()
    assert (now["version"], now["rows"], now["settings"]) == (2, table["rows"], table["settings"])
    before = (await api.get("/api/v1/outage-rules/outage_lead_time", params={"at": (NOW - timedelta(hours=1)).isoformat()},
                            headers=director)).json()
    assert before["version"] == 1 and before["effective_to"].startswith((NOW - timedelta(minutes=1)).astimezone(UTC).isoformat()[:19])
    assert [r for r in api.audit.records if r[0] == "rule_table.save"] == [
        ("rule_table.save", "outage_lead_time", "validation_failed"), ("rule_table.save", "outage_lead_time", "ok")]
