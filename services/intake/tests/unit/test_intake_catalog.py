"""Intake's tables speak the business catalogue's codes (业务目录), and a referred complaint says where it came from."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from hotline_contracts.catalog import catalog
from hotline_contracts.events.ticket import TicketCreatedV1
from intake.adapters.memory import default_rules
from intake.app import create_app
from intake.bootstrap import RULE_TABLES, fake_bootstrap
from intake.settings import Settings
from intake_fixtures import NORMAL
from servicekit.rules import MemoryRuleStore
from servicekit.rules_check import StoredRuleTableInvalid, verify_stored
from servicekit.uow import MemoryOutbox

pytestmark = pytest.mark.unit
FROM = "2026-01-01T00:00:00Z"


@pytest.fixture
def outbox() -> MemoryOutbox:
    return MemoryOutbox()


@pytest.fixture
async def client(outbox, issuer, tmp_path):
    deps = fake_bootstrap(["37", "370102"], customers=[NORMAL], outbox=outbox)
    settings = Settings(auth_jwks_path=str(tmp_path / "jwks.json"), hosted_tenants=deps.hosted)
    app = create_app(settings, start_dependencies=False, deps=deps)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://intake") as c:
        yield c


def test_the_shipped_business_types_offer_exactly_the_catalogue_sub_types():
    for row in default_rules()["business_types"]["rows"]:
        assert tuple(row["sub_types"]) == catalog().sub_types(row["business_type"]), row["business_type"]


def test_the_shipped_ivr_and_keyword_rows_use_catalogue_codes():
    for table in ("ivr_menu", "channel_keywords"):
        for i, row in enumerate(default_rules()[table]["rows"]):
            assert catalog().check_row(row, f"rows.{i}") == [], (table, row)


async def test_saving_a_sub_type_outside_the_catalogue_is_422_naming_the_field_in_both_languages(client, token):
    director = token("370102", roles=("centre_director",))
    rows = [dict(r) for r in default_rules()["business_types"]["rows"]]
    rows[2] = {**rows[2], "sub_types": ["reconnection", "damaged_appliance"]}  # dispatch's old spelling
    refused = await client.put("/api/v1/rules/business_types", json={"effective_from": FROM, "rows": rows}, headers=director)
    assert refused.status_code == 422, refused.text
    fields = {f["loc"]: f for f in refused.json()["error"]["fields"]}
    assert set(fields) == {"body.rows.2.sub_types.1"}
    assert "业务目录" in fields["body.rows.2.sub_types.1"]["message_zh"]
    assert "damaged_appliance" in fields["body.rows.2.sub_types.1"]["message_en"]
    keywords = [{"keyword": "电表", "business_type": "service_request", "sub_type": "meter_broken"}, {"keyword": "*", "business_type": "consultation"}]
    refused = await client.put("/api/v1/rules/channel_keywords", json={"effective_from": FROM, "rows": keywords}, headers=director)
    assert refused.status_code == 422 and [f["loc"] for f in refused.json()["error"]["fields"]] == ["body.rows.0.sub_type"]


async def test_a_table_stored_before_the_catalogue_stops_the_start_and_names_the_row():
    old = [{"business_type": "service_request", "name_zh": "服务申请", "sub_types": ["meter_check", "new_connection"], "required": []}]
    store = MemoryRuleStore({"business_types": lambda tenant, version: []}, defaults={"business_types": old})
    with pytest.raises(StoredRuleTableInvalid) as refused:
        await verify_stored(store, RULE_TABLES, "370102", datetime.now(UTC), tables=["business_types"])
    assert "370102 business_types v1 rows.0.sub_types.1" in str(refused.value)
    assert "new_connection" in str(refused.value)


async def test_a_complaint_referred_by_12398_carries_its_source_onto_ticket_created(client, token, outbox):
    body = {"business_type": "complaint", "sub_type": "supply_quality", "referred_from": "12398", "account_no": NORMAL.account_no,
            "contact_phone": "13805310001", "summary": "12398转办：电压偏低"}
    created = await client.post("/api/v1/tickets", json=body, headers=token("37"))
    assert created.status_code == 201, created.text
    assert created.json()["referred_from"] == "12398"
    [event] = [e for e in outbox.of_type(TicketCreatedV1) if e.ticket_id == created.json()["ticket_id"]]
    assert event.referred_from == "12398"
    refused = await client.post("/api/v1/tickets", json={**body, "referred_from": "110"}, headers=token("37"))
    assert refused.status_code == 422 and refused.json()["error"]["fields"][0]["loc"] == "body.referred_from"
