"""Isolation attacks against the running stack: every attempt refused (401/403/404), nothing leaked, each audited."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from devstack.devtoken import ensure_dev_issuer, issue_token
from hotline_contracts import make_event
from hotline_contracts.events.ticket import TicketCreatedV1

pytestmark = pytest.mark.e2e

RANGE = {"from": "2026-01-01", "to": "2026-12-31"}
SECRET_SUMMARY = "隔离测试：客户咨询峰谷电价，联系电话13912345678"


KAFKA_PORT = 9092


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def get(url: str, **kwargs: Any) -> httpx.Response:
    """One GET without blocking the event loop (the Kafka look-ups of the same test share it)."""
    async with httpx.AsyncClient() as client:
        return await client.get(url, **kwargs)


def kafka(stack) -> str:
    return f"127.0.0.1:{KAFKA_PORT + stack.offset}"


def assert_leaks_nothing(response: httpx.Response, *secrets: str) -> None:
    """A refusal body is the bilingual error shape and nothing else: no trace, no token, no other tenant's data."""
    body = response.json()
    assert set(body) == {"error", "correlation_id"}, body
    assert set(body["error"]) == {"code", "message_zh", "message_en", "fields"}, body
    text = response.text
    for word in ("Traceback", "File \"", "Exception", "eyJ", *secrets):
        assert word not in text, (word, text)


async def audit_entry(stack, tenant: str, match, timeout: float = 20.0) -> dict[str, Any]:
    """Poll the audit log (as the provincial supervision centre) until an entry satisfies `match`."""
    token = stack.token("37", ["supervision_centre"], subject="e2e-supervisor")
    url = f"{stack.urls['analytics']}/api/v1/audit"
    async with httpx.AsyncClient(timeout=5.0) as client:
        async with asyncio.timeout(timeout):
            while True:
                response = await client.get(url, params={"tenant": tenant, "result": "refused", "limit": 1000}, headers=bearer(token))
                assert response.status_code == 200, response.text
                found = [e for e in response.json()["entries"] if match(e)]
                if found:
                    return found[0]
                await asyncio.sleep(0.3)


async def publish(stack, topic: str, payload: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka(stack))
    await producer.start()
    try:
        await producer.send_and_wait(topic, payload)
    finally:
        await producer.stop()


async def find_on_topic(stack, topic: str, match, timeout: float = 30.0) -> dict[str, Any]:
    """Read `topic` from the start with a fresh group until a JSON message satisfies `match`."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka(stack), group_id=f"e2e-{uuid.uuid4().hex[:8]}", auto_offset_reset="earliest", fetch_max_wait_ms=10
    )
    await consumer.start()
    try:
        async with asyncio.timeout(timeout):
            while True:
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    for record in records:
                        message = json.loads(record.value)
                        if match(message):
                            return message
    finally:
        await consumer.stop()


def _sub(tag: str) -> str:
    return f"attacker-{tag}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def order(stack) -> dict:
    """An order in 370102, created by a provincial agent (the tree lets 37 work its counties' orders)."""
    token = stack.token("37", ["agent"], subject="e2e-agent-37")
    body = {"channel": "hotline", "business_type": "consultation", "unit": "370102", "summary": SECRET_SUMMARY}
    response = httpx.post(f"{stack.urls['intake']}/api/v1/tickets", json=body, headers=bearer(token), timeout=10)
    assert response.status_code in (200, 201), response.text
    created = response.json()
    assert created["tenant"] == "370102"
    return created


async def test_another_tenants_order_id_is_404_for_a_sibling_but_readable_by_the_parent_city(stack, order):
    url = f"{stack.urls['intake']}/api/v1/tickets/{order['ticket_id']}"
    subject = _sub("sibling")
    async with httpx.AsyncClient(timeout=10) as client:
        sibling = await client.get(url, headers=bearer(stack.token("370202", ["unit_staff"], subject=subject)))
        city = await client.get(url, headers=bearer(stack.token("3701", ["unit_staff"], subject="e2e-city-3701")))
    assert sibling.status_code == 404
    assert_leaks_nothing(sibling, SECRET_SUMMARY, "13912345678", order["ticket_id"])
    assert city.status_code == 200 and city.json()["ticket_id"] == order["ticket_id"]
    entry = await audit_entry(stack, "370102", lambda e: e["actor"] == subject)
    assert (entry["actor_tenant"], entry["action"], entry["result"]) == ("370202", "ticket.read", "not_found")


async def test_a_token_signed_by_another_key_is_401_and_audited_without_the_token(stack, tmp_path):
    subject = _sub("forged")
    forged = issue_token(ensure_dev_issuer(tmp_path / "evil"), subject=subject, tenant="37", roles=["supervision_centre"])
    response = await get(f"{stack.urls['analytics']}/api/v1/audit", params={"tenant": "37"}, headers=bearer(forged), timeout=10)
    assert response.status_code == 401
    assert_leaks_nothing(response, subject)
    entry = await audit_entry(stack, "37", lambda e: e["detail"].get("presented_subject") == subject)
    assert entry["actor"] is None and entry["result"] == "invalid_token"
    assert forged not in json.dumps(entry) and forged.split(".")[2] not in json.dumps(entry)


async def test_a_tampered_token_claiming_a_wider_tenant_and_role_is_401(stack, order):
    subject = _sub("tampered")
    header, payload, signature = stack.token("370202", ["unit_staff"], subject=subject).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(tenant="37", roles=["centre_director"])
    widened = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = await get(
        f"{stack.urls['intake']}/api/v1/tickets/{order['ticket_id']}", headers=bearer(f"{header}.{widened}.{signature}"), timeout=10
    )
    assert response.status_code == 401
    assert_leaks_nothing(response, SECRET_SUMMARY, subject)
    entry = await audit_entry(stack, "37", lambda e: e["detail"].get("presented_subject") == subject)
    assert entry["result"] == "invalid_token" and entry["service"] == "intake"


async def test_an_expired_token_is_401(stack):
    subject = _sub("expired")
    expired = stack.token("37", ["supervision_centre"], subject=subject, ttl_seconds=600, now=time.time() - 7200)
    response = await get(f"{stack.urls['analytics']}/api/v1/units/37/summary", params=RANGE, headers=bearer(expired), timeout=10)
    assert response.status_code == 401 and response.json()["error"]["code"] == "token_expired"
    assert_leaks_nothing(response, subject)
    entry = await audit_entry(stack, "37", lambda e: e["detail"].get("presented_subject") == subject)
    assert entry["result"] == "token_expired"


async def test_a_token_without_the_role_is_403(stack):
    subject = _sub("norole")
    crew = stack.token("370102", ["field_crew"], subject=subject)
    response = await get(f"{stack.urls['analytics']}/api/v1/units/370102/summary", params=RANGE, headers=bearer(crew), timeout=10)
    assert response.status_code == 403
    assert_leaks_nothing(response)
    entry = await audit_entry(stack, "370102", lambda e: e["actor"] == subject)
    assert (entry["action"], entry["result"]) == ("report.read", "role_required")


async def test_a_body_naming_another_tenant_is_refused_and_the_tenant_comes_from_the_token(stack):
    subject = _sub("body")
    agent = stack.token("3702", ["agent"], subject=subject)
    url = f"{stack.urls['intake']}/api/v1/tickets"
    async with httpx.AsyncClient(timeout=10) as client:
        # the responsible unit in the body lies outside the caller's subtree: refused, as if it did not exist
        other_unit = await client.post(url, json={"business_type": "consultation", "unit": "370102", "summary": "越权"}, headers=bearer(agent))
        # a `tenant` field is never read from a body: refused as an unknown field, never honoured
        smuggled = await client.post(
            url, json={"business_type": "consultation", "unit": "370202", "tenant": "370102", "summary": "越权"}, headers=bearer(agent)
        )
    assert other_unit.status_code == 404
    assert_leaks_nothing(other_unit)
    assert smuggled.status_code == 422 or (smuggled.status_code in (200, 201) and smuggled.json()["tenant"] == "370202")
    entry = await audit_entry(stack, "370102", lambda e: e["actor"] == subject)
    assert entry["action"] == "ticket.create" and entry["result"] == "not_found"


async def test_an_event_for_a_tenant_this_deployment_does_not_host_is_dead_lettered_and_audited(stack):
    foreign = "370105"  # a real county code, not hosted by the demo deployment
    data = TicketCreatedV1(
        ticket_id=f"{foreign}-20261126-{uuid.uuid4().int % 10**6:06d}", business_type="fault_repair", channel="hotline",
        responsible_unit=foreign, first_contact_owner="agent:intruder", accepted_at=datetime.now(UTC), summary="伪造的外部租户事件",
    )
    envelope = make_event(data, tenant=foreign, source="/hotline/intruder", subject=data.ticket_id)
    await publish(stack, "ticket.created.v1", envelope.model_dump_json().encode())
    dead = await find_on_topic(stack, "deadletter.v1", lambda m: envelope.id in m["data"]["payload"])
    assert dead["data"]["reason"] == "tenant_not_hosted" and dead["data"]["original_topic"] == "ticket.created.v1"
    entry = await audit_entry(stack, "37", lambda e: e["target"] == envelope.id)
    assert entry["result"] == "tenant_not_hosted" and entry["detail"]["claimed_tenant"] == foreign


async def test_an_export_outside_scope_is_404_and_audited(stack):
    subject = _sub("export")
    county = stack.token("370102", ["unit_staff"], subject=subject)
    response = await get(f"{stack.urls['analytics']}/api/v1/units/370124/export.csv", params=RANGE, headers=bearer(county), timeout=10)
    assert response.status_code == 404
    assert_leaks_nothing(response)
    entry = await audit_entry(stack, "370124", lambda e: e["actor"] == subject)
    assert (entry["action"], entry["result"]) == ("report.export", "not_found")
