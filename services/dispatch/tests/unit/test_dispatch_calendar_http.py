"""Loading the State Council schedule over HTTP (放假安排) and what a year without one looks like."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client import CollectorRegistry

from devstack.devtoken import ensure_dev_issuer, issue_token
from dispatch.app import create_app
from dispatch.settings import Settings
from servicekit.audit import MemoryAuditLog
from servicekit.calendar_watch import CalendarWatch
from servicekit.runtime import Runtime

pytestmark = pytest.mark.unit
T = "370102"
NOTICE_CSV = "date,kind\n2027-02-05,off\n2027-02-08,off\n2027-02-09,off\n2027-02-10,off\n2027-02-11,off\n2027-02-12,off\n2027-02-13,work\n"


@pytest.fixture
async def api(tmp_path, deps):
    key = ensure_dev_issuer(tmp_path)
    settings = Settings(hosted_tenants=["37", "3701", T], auth_jwks_path=str(tmp_path / "jwks.json"))
    deps.rules.audit = MemoryAuditLog("dispatch")
    deps.calendar_watch = CalendarWatch(CollectorRegistry())
    app = create_app(settings, Runtime.build(settings), start_dependencies=False, deps=deps)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dispatch") as client:
        client.director = {"authorization": f"Bearer {issue_token(key, subject='u-370102-0007', tenant=T, roles=['centre_director'])}"}  # type: ignore[attr-defined]
        client.staff = {"authorization": f"Bearer {issue_token(key, subject='u-370102-0010', tenant=T, roles=['unit_staff'])}"}  # type: ignore[attr-defined]
        yield client


def gauge(deps, year: int) -> float | None:
    return deps.calendar_watch.gauge.labels(tenant=T, year=str(year))._value.get()


async def test_the_shipped_schedule_lists_2026_confirmed_and_2027_not(api):
    years = {r["year"]: r for r in (await api.get("/api/v1/calendar/years", headers=api.staff)).json()}
    assert years[2026]["confirmed"] is True and "2026-09-20" in years[2026]["workdays"]
    assert years[2027]["confirmed"] is False and years[2027]["workdays"] == []


async def test_a_due_query_into_an_uncovered_year_is_provisional_and_raises_the_gauge(api, deps):
    answer = await api.get("/api/v1/calendar/due", params={"start": "2030-09-30T10:00:00+08:00", "working_days": 4}, headers=api.staff)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["provisional"] is True and body["unconfirmed_years"] == [2030]
    assert body["due_at"] == "2030-10-04T10:00:00+08:00"  # no schedule for 2030: Monday to Friday, and it says so
    assert gauge(deps, 2030) == 1


async def test_a_csv_notice_confirms_its_year_moves_the_due_time_and_clears_the_gauge(api, deps):
    before = (await api.get("/api/v1/calendar/due", params={"start": "2027-02-05T10:00:00+08:00", "working_days": 4},
                            headers=api.staff)).json()
    assert (before["due_at"], before["provisional"], gauge(deps, 2027)) == ("2027-02-17T00:00:00+08:00", True, 1)
    assert (await api.post("/api/v1/calendar/import", content=NOTICE_CSV, headers={**api.staff, "content-type": "text/csv"})).status_code == 403
    saved = await api.post("/api/v1/calendar/import", params={"source": "测试通知"}, content=NOTICE_CSV,
                           headers={**api.director, "content-type": "text/csv"})
    assert saved.status_code == 200, saved.text
    assert {r["year"]: r["confirmed"] for r in saved.json()}[2027] is True
    after = (await api.get("/api/v1/calendar/due", params={"start": "2027-02-05T10:00:00+08:00", "working_days": 4},
                           headers=api.staff)).json()
    assert (after["due_at"], after["provisional"], gauge(deps, 2027)) == ("2027-02-18T00:00:00+08:00", False, 0)
    assert {r["year"] for r in saved.json()} == set(range(2020, 2028))  # the other years are kept


async def test_a_bad_year_or_file_is_422_naming_the_field_in_both_languages(api):
    bad = await api.put("/api/v1/calendar/years/2027", headers=api.director,
                        json={"confirmed": True, "days_off": ["2027-02-05"], "workdays": ["2027-02-11"]})
    assert bad.status_code == 422
    [field] = bad.json()["error"]["fields"]
    assert field["loc"] == "body.rows.7.workdays.0" and "周末" in field["message_zh"] and "weekend" in field["message_en"]
    bad_file = await api.post("/api/v1/calendar/import", content="2027-02-05,holiday\n", headers={**api.director, "content-type": "text/csv"})
    assert bad_file.status_code == 422 and bad_file.json()["error"]["fields"][0]["loc"] == "body.line.1"
