"""The intake API through the ASGI client, with memory fakes: every channel, bad input, masking, retries, scope."""

from __future__ import annotations

import httpx
import pytest

from intake.app import create_app
from intake.deps import Deps
from intake.settings import Settings
from intake_fixtures import CUT_OFF, IN_OUTAGE, NORMAL, OUTAGE

pytestmark = pytest.mark.unit
REPAIR = {"business_type": "fault_repair", "account_no": NORMAL.account_no, "summary": "家里没电了"}


@pytest.fixture
async def client(deps: Deps, issuer, tmp_path):
    settings = Settings(auth_jwks_path=str(tmp_path / "jwks.json"), hosted_tenants=deps.hosted)
    app = create_app(settings, start_dependencies=False, deps=deps)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as c:
        yield c


async def test_agent_call_creates_order_in_the_customers_county(client, token, deps) -> None:
    response = await client.post("/api/v1/tickets", json=REPAIR, headers=token("37"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["tenant"] == "370102" and body["channel"] == "hotline" and body["dispatch_requested"] is True
    assert body["first_contact_owner"] == "agent:zhangsan"
    assert deps.audit.records[-1]["action"] == "ticket.create"


async def test_known_outage_answer_carries_cause_and_restoration_time(client, token) -> None:
    response = await client.post("/api/v1/tickets", json={**REPAIR, "account_no": IN_OUTAGE.account_no}, headers=token())
    body = response.json()
    assert body["outage"]["known"] and body["outage"]["cause"] == OUTAGE.cause
    assert body["outage"]["estimated_restore_at"].startswith("2026-11-26T05:00") and body["dispatch_requested"] is False
    assert OUTAGE.cause in body["message_zh"]


async def test_arrears_answer_says_reconnection(client, token) -> None:
    body = (await client.post("/api/v1/tickets", json={**REPAIR, "account_no": CUT_OFF.account_no}, headers=token())).json()
    assert body["reconnection"] and body["business_type"] == "service_request" and "欠费" in body["message_zh"]


async def test_idempotency_key_header_returns_the_same_order(client, token, deps) -> None:
    headers = {**token(), "Idempotency-Key": "retry-1"}
    first = await client.post("/api/v1/tickets", json=REPAIR, headers=headers)
    second = await client.post("/api/v1/tickets", json=REPAIR, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["ticket_id"] == second.json()["ticket_id"] and len(deps.tickets.tickets) == 1


async def test_repeat_call_answers_200_with_the_open_order(client, token) -> None:
    first = (await client.post("/api/v1/tickets", json=REPAIR, headers=token())).json()
    again = await client.post("/api/v1/tickets", json=REPAIR, headers=token(subject="lisi"))
    assert again.status_code == 200 and again.json()["repeat"] and again.json()["ticket_id"] == first["ticket_id"]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({**REPAIR, "account_no": "12345"}, "body.account_no"),
        ({**REPAIR, "contact_phone": "12345678"}, "body.contact_phone"),
        ({**REPAIR, "summary": ""}, "body.summary"),
        ({**REPAIR, "business_type": "gossip"}, "body.business_type"),
        ({"business_type": "complaint", "sub_type": "business", "summary": "电费不对", "unit": "370102"}, "body.contact_phone"),
        ({**REPAIR, "tenant": "370124"}, "body.tenant"),
    ],
)
async def test_bad_input_is_422_with_field_messages_in_both_languages(client, token, body, loc) -> None:
    response = await client.post("/api/v1/tickets", json=body, headers=token())
    assert response.status_code == 422, response.text
    fields = response.json()["error"]["fields"]
    assert loc in [f["loc"] for f in fields] and all(f["message_zh"] and f["message_en"] for f in fields)


@pytest.mark.parametrize("content", [b"", b"not json", b'{"business_type": "fault_repair",', b"[1, 2]"])
async def test_a_body_that_is_not_a_json_object_is_422_not_a_500(client, token, content) -> None:
    response = await client.post("/api/v1/tickets", content=content, headers={**token(), "content-type": "application/json"})
    assert response.status_code == 422, response.text
    fields = response.json()["error"]["fields"]
    assert fields and all(f["loc"].startswith("body") and f["message_zh"] and f["message_en"] for f in fields)


async def test_an_overlong_idempotency_key_is_422_and_creates_nothing(client, token, deps) -> None:
    before = len(deps.audit.records)
    response = await client.post("/api/v1/tickets", json=REPAIR, headers={**token(), "Idempotency-Key": "k" * 129})
    assert response.status_code == 422
    assert [f["loc"] for f in response.json()["error"]["fields"]] == ["header.Idempotency-Key"]
    assert len(deps.audit.records) == before  # refused before the use case ran
    assert (await client.post("/api/v1/tickets", json=REPAIR, headers={**token(), "Idempotency-Key": "k" * 128})).status_code == 201


async def test_a_bad_body_without_a_token_is_401_first(client) -> None:
    response = await client.post("/api/v1/tickets", content=b"not json", headers={"content-type": "application/json"})
    assert response.status_code == 401


async def test_oversized_body_is_refused_not_a_500(client, token) -> None:
    response = await client.post("/api/v1/tickets", content=b"{" + b" " * 300_000 + b"}", headers={**token(), "content-type": "application/json"})
    assert response.status_code == 413


async def test_caller_outside_the_units_subtree_cannot_create_there(client, token) -> None:
    response = await client.post("/api/v1/tickets", json={**REPAIR, "unit": "370102"}, headers=token("370124"))
    assert response.status_code == 404
    no_role = await client.post("/api/v1/tickets", json=REPAIR, headers=token(roles=("field_crew",)))
    assert no_role.status_code == 403


async def test_list_masks_phone_and_address_but_single_read_does_not(client, token) -> None:
    created = (await client.post("/api/v1/tickets", json=REPAIR, headers=token())).json()
    listed = (await client.get("/api/v1/tickets", params={"unit": "370102"}, headers=token())).json()
    assert listed[0]["contact_phone"] == "138****0001" and "*" in listed[0]["address_text"]
    single = (await client.get(f"/api/v1/tickets/{created['ticket_id']}", headers=token())).json()
    assert single["contact_phone"] == NORMAL.phone


async def test_ivr_webhook_maps_menu_choice_and_call_id_is_idempotent(client, token) -> None:
    call = {"call_id": "CTI-1", "caller_number": NORMAL.phone, "ivr_choices": ["1"], "account_no": NORMAL.account_no}
    first = await client.post("/api/v1/channels/ivr", json=call, headers=token(kind="service", roles=("external_system",), subject="cti"))
    again = await client.post("/api/v1/channels/ivr", json=call, headers=token(kind="service", roles=("external_system",), subject="cti"))
    assert first.status_code == 201 and first.json()["business_type"] == "fault_repair" and first.json()["channel"] == "ivr"
    assert first.json()["first_contact_owner"] == "system:cti" and again.json()["ticket_id"] == first.json()["ticket_id"]


async def test_online_sms_email_and_letter_channels_each_become_orders(client, token) -> None:
    svc = token(kind="service", roles=("external_system",), subject="gateway")
    online = await client.post("/api/v1/channels/online", headers=svc, json={
        "source": "wechat", "submission_id": "WX-1", "business_type": "consultation", "account_no": NORMAL.account_no, "description": "阶梯电价"})
    sms = await client.post("/api/v1/channels/sms", headers=svc, json={"message_id": "S-1", "from_number": "13805310003", "text": "我家停电了"})
    email = await client.post("/api/v1/channels/email", headers=svc, json={
        "message_id": "<m1>", "from_address": "a@b.cn", "subject": "建议", "body": "建议增加缴费网点", "phone": NORMAL.phone})
    letter = await client.post("/api/v1/channels/mail", headers=svc, json={
        "kind": "letter", "attachment_ref": "SCAN-1", "business_type": "praise", "summary": "表扬抢修班", "unit": "370102"})
    assert [r.status_code for r in (online, sms, email, letter)] == [201, 201, 201, 201]
    assert online.json()["channel"] == "wechat"
    assert sms.json()["business_type"] == "fault_repair" and sms.json()["outage"]["outage_id"] == OUTAGE.outage_id  # identified by phone
    assert email.json()["business_type"] == "suggestion" and email.json()["tenant"] == "370102"
    assert letter.json()["channel"] == "letter" and letter.json()["business_type"] == "praise"


async def test_customers_lookup_masks_and_csv_import_validates_rows(client, token) -> None:
    found = (await client.get("/api/v1/customers", params={"phone": NORMAL.phone}, headers=token())).json()
    assert found[0]["account_no"] == NORMAL.account_no and found[0]["phone"] == "138****0001"
    header = "account_no,name,phone,address,unit_code,station_code,feeder_code,ta_code,area_class,arrears_status,updated_at\n"
    good = header + "3701020077,李四,13905310077,济南市历下区文化东路1号,370102,GDS-370102-01,10kV-A,TA-1,urban,none,2026-11-26T08:00:00+08:00\n"
    bad = header + "37010,李四,139,济南市历下区文化东路1号,370102,GDS-370102-01,10kV-A,TA-1,urban,none,2026-11-26T08:00:00+08:00\n"
    svc = token("37", roles=("external_system",), kind="service", subject="marketing")
    refused = await client.post("/api/v1/customers/import", content=bad.encode(), headers={**svc, "content-type": "text/csv"})
    assert refused.status_code == 422 and {"body.rows.0.account_no", "body.rows.0.phone"} <= {f["loc"] for f in refused.json()["error"]["fields"]}
    stored = await client.post("/api/v1/customers/import", content=good.encode(), headers={**svc, "content-type": "text/csv"})
    assert stored.json() == {"rows": 1, "stored": 1}
    assert (await client.get("/api/v1/customers/3701020077", headers=token())).json()["phone"] == "13905310077"


async def test_shift_leader_publishes_article_and_agent_finds_it(client, token) -> None:
    article = {"article_id": "KB-1", "title": "居民阶梯电价计算方法", "category": "电价电费", "body": "阶梯电价按年度累计用电量分三档",
               "effective_from": "2026-01-01T00:00:00+08:00"}
    assert (await client.post("/api/v1/knowledge/articles", json=article, headers=token("37", roles=("agent",)))).status_code == 403
    saved = await client.post("/api/v1/knowledge/articles", json=article, headers=token("37", roles=("shift_leader",)))
    assert saved.status_code == 201 and saved.json()["version"] == 1
    hits = (await client.get("/api/v1/knowledge/search", params={"q": "阶梯电价怎么算"}, headers=token("370102"))).json()
    assert [h["article_id"] for h in hits] == ["KB-1"]


async def test_rule_table_edit_is_validated_and_changes_the_repeat_window(client, token) -> None:
    director = token("370102", roles=("centre_director",))
    bad = await client.put("/api/v1/rules/business_types", json={"effective_from": "2026-01-01T00:00:00Z", "rows": [{"business_type": "x", "required": ["nope"]}]}, headers=director)
    assert bad.status_code == 422
    ok = await client.put("/api/v1/rules/repeat_calls", json={"effective_from": "2026-01-01T00:00:00Z", "rows": [{"business_type": "*", "window_hours": 1}]}, headers=director)
    assert ok.status_code == 201
    assert (await client.get("/api/v1/rules/repeat_calls", headers=director)).json()["rows"][0]["window_hours"] == 1


async def test_every_endpoint_has_an_openapi_example(client) -> None:
    spec = (await client.get("/openapi.json")).json()
    bodies = [op["requestBody"] for path in spec["paths"].values() for op in path.values() if "requestBody" in op]
    assert bodies and all("example" in str(b) or "$ref" in str(b) for b in bodies)
    create = spec["paths"]["/api/v1/tickets"]["post"]  # reads its own body: documented by hand, must still say what it takes
    assert create["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/TicketIn"}
    assert [p["name"] for p in create["parameters"] if p["in"] == "header"] == ["Idempotency-Key"]
    schemas = spec["components"]["schemas"]
    assert {"Channel", "BusinessType"} <= set(schemas)  # what TicketIn refers to resolves
    for name in ("TicketIn", "IvrCallIn", "OnlineIn", "SmsIn", "EmailIn", "MailIn", "ArticleIn", "RuleTableIn"):
        assert schemas[name].get("examples"), name
