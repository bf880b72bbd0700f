"""The closed loop over HTTP and Kafka: who audits and closes, a transfer's scope, the first contact, survey's events."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from faststream.kafka import TestKafkaBroker

from devstack.devtoken import ensure_dev_issuer, issue_token
from dispatch.app import create_app
from dispatch.service import take_new_ticket
from dispatch.settings import Settings
from dispatch_builders import new_ticket, published
from hotline_contracts import make_event
from hotline_contracts.events.dispatch import CustomerContactedV1
from hotline_contracts.events.survey import ReturnVisitCompletedV1, ReturnVisitScheduledV1
from servicekit.audit import MemoryAuditLog
from servicekit.kafka import MemoryProcessedEvents
from servicekit.runtime import Runtime

pytestmark = pytest.mark.unit
T = "370102"
TID = "370102-20261126-000001"
HOSTED = ["37", "3701", T, "370124"]


@pytest.fixture
async def api(tmp_path, deps):
    key = ensure_dev_issuer(tmp_path)
    settings = Settings(hosted_tenants=HOSTED, auth_jwks_path=str(tmp_path / "jwks.json"))
    runtime = Runtime.build(settings)
    app = create_app(settings, runtime, start_dependencies=False, deps=deps)
    runtime.audit = MemoryAuditLog("dispatch")  # type: ignore[assignment]
    for consumer in runtime.consumers:  # the processed-id claims in memory instead of MongoDB
        if consumer.processed is not None:
            consumer.processed = MemoryProcessedEvents()
    runtime.hooks_done = True

    def bearer(tenant: str, role: str, subject: str) -> dict[str, str]:
        return {"authorization": f"Bearer {issue_token(key, subject=subject, tenant=tenant, roles=[role])}"}

    transport = httpx.ASGITransport(app=app)
    async with TestKafkaBroker(runtime.broker) as broker, httpx.AsyncClient(transport=transport, base_url="http://dispatch") as client:
        client.bearer, client.broker = bearer, broker  # type: ignore[attr-defined]
        yield client


async def test_the_unit_replies_and_only_the_95598_centre_audits_and_a_visit_closes(api, deps, outbox):
    await take_new_ticket(T, new_ticket(business_type="complaint", sub_type="service_conduct", station_code=None), deps=deps)
    staff, agent = api.bearer(T, "unit_staff", "staff:u-1"), api.bearer("37", "agent", "agent:u-37-1")
    reply = {"outcome": "resolved", "content": "已致歉", "customer_contacted_at": deps.clock().isoformat()}
    assert (await api.post(f"/api/v1/work-orders/{TID}/reply", headers=staff, json=reply)).status_code == 200
    for action in ("audit", "close", "archive"):
        refused = await api.post(f"/api/v1/work-orders/{TID}/{action}", headers=staff, json={})
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "role_required"), action
    assert (await api.post(f"/api/v1/work-orders/{TID}/audit", headers=agent, json={})).json()["state"] == "reply_audited"
    early = await api.post(f"/api/v1/work-orders/{TID}/close", headers=agent, json={})
    assert (early.status_code, early.json()["error"]["code"]) == (409, "return_visit_pending")
    at = deps.clock()
    scheduled = ReturnVisitScheduledV1(visit_id="RV-1", ticket_id=TID, business_type="complaint", responsible_unit=T,
                                       due_at=at + timedelta(days=1), at=at)
    await api.broker.publish(make_event(scheduled, tenant=T, source="/hotline/survey", subject=TID).model_dump_json().encode(),
                             topic="return_visit.scheduled.v1")
    assert (await deps.orders.get(T, TID)).state.value == "return_visit"
    done = make_event(ReturnVisitCompletedV1(visit_id="RV-1", ticket_id=TID, business_type="complaint", responsible_unit=T,
                                             result="satisfied", method="phone", by="agent:u-37-2", at=at),
                      tenant=T, source="/hotline/survey", subject=TID).model_dump_json().encode()
    await api.broker.publish(done, topic="return_visit.completed.v1")
    await api.broker.publish(done, topic="return_visit.completed.v1")  # redelivered: closed once
    assert (await deps.orders.get(T, TID)).state.value == "closed" and len(published(outbox, "ticket.closed.v1")) == 1
    archived = await api.post(f"/api/v1/work-orders/{TID}/archive", headers=agent, json={})
    assert archived.json()["state"] == "archived"


async def test_a_transfer_target_must_be_known_and_within_the_callers_scope(api, deps):
    await take_new_ticket(T, new_ticket(), deps=deps)
    county = api.bearer(T, "unit_staff", "staff:u-1")
    for target, words in (("370124", "outside your scope"), ("370199", "unknown unit")):
        r = await api.post(f"/api/v1/work-orders/{TID}/transfer", headers=county, json={"to_unit": target, "reason": "非本单位"})
        assert r.status_code == 422, target
        [field] = r.json()["error"]["fields"]
        assert field["loc"] == "body.to_unit" and words in field["message_en"] and field["message_zh"]
    assert (await deps.orders.get(T, TID)).owner_unit == T  # nothing moved
    city = api.bearer("3701", "unit_staff", "staff:u-3701-1")
    moved = await api.post(f"/api/v1/work-orders/{TID}/transfer", headers=city, json={"to_unit": "370124", "reason": "属地调整"})
    assert moved.status_code == 200 and moved.json()["owner_unit"] == "370124"


async def test_the_first_contact_is_recorded_over_http_and_from_the_units_app(api, deps, clock):
    await take_new_ticket(T, new_ticket("370102-20261126-000002", business_type="complaint", sub_type="service_conduct",
                                        station_code=None), deps=deps)
    await take_new_ticket(T, new_ticket(TID, business_type="complaint", sub_type="service_conduct", station_code=None), deps=deps)
    staff = api.bearer(T, "unit_staff", "staff:u-1")
    clock.advance(minutes=30)
    r = await api.post(f"/api/v1/work-orders/{TID}/customer-contacted", headers=staff, json={"note": "已电话致歉"})
    assert r.status_code == 200 and r.json()["milestones"]["customer_contacted"].startswith("2026-11-26T09:30")
    bad = await api.post(f"/api/v1/work-orders/{TID}/customer-contacted", headers=staff,
                         json={"at": (clock() + timedelta(hours=2)).isoformat()})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["loc"] == "body.at"
    crew = api.bearer(T, "field_crew", "crew:u-1")
    assert (await api.post(f"/api/v1/work-orders/{TID}/customer-contacted", headers=crew, json={})).status_code == 403
    event = CustomerContactedV1(ticket_id="370102-20261126-000002", by="staff:u-2", at=clock() - timedelta(minutes=10))
    await api.broker.publish(make_event(event, tenant=T, source="/hotline/unit-app", subject=event.ticket_id)
                             .model_dump_json().encode(), topic="ticket.customer_contacted.v1")
    stored = await deps.orders.get(T, "370102-20261126-000002")
    assert stored.milestones["customer_contacted"] == clock() - timedelta(minutes=10)
