"""Rule tables over HTTP (规则表): the version in force, a validated and audited new version, and the calendar it feeds."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from devstack.devtoken import ensure_dev_issuer, issue_token
from dispatch.app import create_app
from dispatch.settings import Settings
from servicekit.audit import MemoryAuditLog
from servicekit.runtime import Runtime

pytestmark = pytest.mark.unit
T = "370102"


@pytest.fixture
async def api(tmp_path, deps):
    key = ensure_dev_issuer(tmp_path)
    settings = Settings(hosted_tenants=["37", "3701", T], auth_jwks_path=str(tmp_path / "jwks.json"))
    deps.rules.audit = MemoryAuditLog("dispatch")
    app = create_app(settings, Runtime.build(settings), start_dependencies=False, deps=deps)
    director = issue_token(key, subject="u-370102-0007", tenant=T, roles=["centre_director"])
    staff = issue_token(key, subject="u-370102-0010", tenant=T, roles=["unit_staff"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dispatch") as client:
        client.director = {"authorization": f"Bearer {director}"}  # type: ignore[attr-defined]
        client.staff = {"authorization": f"Bearer {staff}"}  # type: ignore[attr-defined]
        yield client


async def test_a_calendar_override_is_a_new_version_checked_field_by_field_audited_and_used_by_the_clocks(api, deps, clock):
    shipped = await api.get("/api/v1/rules/calendar", headers=api.staff)
    assert shipped.status_code == 200 and (shipped.json()["version"], shipped.json()["rows"]) == (1, [])

    bad = await api.put("/api/v1/rules/calendar", headers=api.director, json={
        "effective_from": clock().isoformat(), "rows": [{"date": "2026-02-30", "workday": False}]})
    assert bad.status_code == 422 and [f["loc"] for f in bad.json()["error"]["fields"]] == ["body.rows.0.date"]
    assert (await api.put("/api/v1/rules/calendar", headers=api.staff, json={
        "effective_from": clock().isoformat(), "rows": []})).status_code == 403

    start = clock() - timedelta(minutes=1)
    saved = await api.put("/api/v1/rules/calendar", headers=api.director, json={
        "effective_from": start.isoformat(), "rows": [{"date": "2026-11-27", "workday": False}]})
    assert saved.status_code == 200, saved.text
    assert (saved.json()["version"], saved.json()["saved_by"]) == (2, "u-370102-0007")
    history = await deps.rules.versions(T, "calendar")
    assert [(v["version"], v["effective_to"]) for v in history] == [(1, start), (2, None)]
    assert not (await deps.calendar(T, clock())).is_workday(date(2026, 11, 27))
    assert (await deps.calendar("370124", clock())).is_workday(date(2026, 11, 27))  # other tenants keep their calendar
    assert [(e["action"], e["target"], e["result"]) for e in deps.rules.audit.entries] == [
        ("rule_table.save", "calendar", "validation_failed"), ("rule_table.save", "calendar", "ok")]


async def test_an_unknown_table_is_404_and_a_routing_table_without_a_fallback_is_refused(api, clock, defaults):
    assert (await api.get("/api/v1/rules/nope", headers=api.staff)).status_code == 404
    rows = [r for r in defaults["routing"] if r.get("business_type")]
    refused = await api.put("/api/v1/rules/routing", headers=api.director, json={"effective_from": clock().isoformat(), "rows": rows})
    assert refused.status_code == 422 and "fallback" in refused.json()["error"]["fields"][0]["message_en"]
