"""Outage and customer events feed intake's own views (FastStream TestKafkaBroker, memory fakes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from faststream.kafka import TestKafkaBroker

from hotline_contracts import make_event
from hotline_contracts.events.common import ArrearsStatus
from hotline_contracts.events.customer import CustomerUpsertedV1
from hotline_contracts.events.outage import OutagePublishedV1, OutageRestoredV1, OutageScope, OutageStartedV1
from hotline_contracts.events.ticket import TicketClosedV1, TicketReopenedV1
from intake.app import create_app
from intake.deps import Deps
from intake.domain.model import Contact
from intake.service import accept_contact
from intake.settings import Settings
from intake_fixtures import NORMAL, NOW

pytestmark = pytest.mark.unit


def published(outage_id: str) -> OutagePublishedV1:
    return OutagePublishedV1(
        outage_id=outage_id, outage_type="planned", scope=OutageScope(ta_codes=[NORMAL.ta_code]), planned_start=NOW - timedelta(minutes=30),
        planned_end=NOW + timedelta(hours=5), cause="台区变压器更换", reporting_unit="370102", affected_customers=120,
        notice_text="台区变压器更换停电", published_by="agent:leader", published_at=NOW - timedelta(days=7),
    )


async def test_published_outage_links_later_calls_until_it_is_restored(deps: Deps, tmp_path) -> None:
    app = create_app(Settings(hosted_tenants=deps.hosted, auth_jwks_path=str(tmp_path / "j.json")), start_dependencies=False, deps=deps)
    broker = app.state.runtime.broker
    call = Contact(channel="hotline", business_type="fault_repair", summary="没电", owner="agent:a", account_no=NORMAL.account_no)
    async with TestKafkaBroker(broker) as br:
        await br.publish(make_event(published("TD-9"), tenant="370102", source="/hotline/outage-notice", correlation_id="c1").model_dump_json(), topic="outage.published.v1")
        linked = await accept_contact("370102", call, deps=deps)
        assert linked.outage is not None and linked.outage.outage_id == "TD-9" and linked.outage.cause == "台区变压器更换"
        restored = OutageRestoredV1(outage_id="TD-9", restored_at=NOW, reported_by="crew:c1")
        await br.publish(make_event(restored, tenant="370102", source="/hotline/outage-notice", correlation_id="c2").model_dump_json(), topic="outage.restored.v1")
    assert "TD-9" not in {o.outage_id for o in await deps.outage_projection.active("370102")}


async def test_customer_upserted_event_updates_the_registry_and_older_records_lose(deps: Deps, tmp_path) -> None:
    app = create_app(Settings(hosted_tenants=deps.hosted, auth_jwks_path=str(tmp_path / "j.json")), start_dependencies=False, deps=deps)
    record = CustomerUpsertedV1(account_no="3701020100", name="赵六", phone="13905310100", address="济南市历下区解放路1号", unit_code="370102",
                                station_code="GDS-1", area_class="rural", arrears_status="disconnected", updated_at=NOW)
    older = record.model_copy(update={"arrears_status": ArrearsStatus.NONE, "updated_at": NOW - timedelta(days=1)})
    async with TestKafkaBroker(app.state.runtime.broker) as br:
        for data in (record, older):
            await br.publish(make_event(data, tenant="370102", source="/marketing", correlation_id="c").model_dump_json(), topic="customer.upserted.v1")
    stored = await deps.customers.by_account("370102", "3701020100")
    assert stored is not None and stored.arrears_status == "disconnected" and stored.area_class == "rural"


async def test_a_start_that_arrives_before_its_publication_still_links_calls(deps: Deps, tmp_path) -> None:
    app = create_app(Settings(hosted_tenants=deps.hosted, auth_jwks_path=str(tmp_path / "j.json")), start_dependencies=False, deps=deps)
    later = published("TD-LATE").model_copy(update={"planned_start": NOW + timedelta(hours=2)})  # announced for later
    started = OutageStartedV1(outage_id="TD-LATE", started_at=NOW, reported_by="crew:c1")
    call = Contact(channel="hotline", business_type="fault_repair", summary="没电", owner="agent:a", account_no=NORMAL.account_no)
    async with TestKafkaBroker(app.state.runtime.broker) as br:
        for data, topic in ((started, "outage.started.v1"), (later, "outage.published.v1")):  # the topics interleave
            await br.publish(make_event(data, tenant="370102", source="/hotline/outage-notice", correlation_id="c").model_dump_json(), topic=topic)
    linked = await accept_contact("370102", call, deps=deps)
    assert linked.outage is not None and linked.outage.outage_id == "TD-LATE"


async def test_an_order_closed_by_dispatch_no_longer_absorbs_the_customers_next_call(deps: Deps, tmp_path) -> None:
    app = create_app(Settings(hosted_tenants=deps.hosted, auth_jwks_path=str(tmp_path / "j.json")), start_dependencies=False, deps=deps)
    call = Contact(channel="hotline", business_type="fault_repair", summary="没电", owner="agent:a", account_no=NORMAL.account_no)
    first = await accept_contact("370102", call, deps=deps)
    closed = TicketClosedV1(ticket_id=first.ticket.ticket_id, business_type="fault_repair", responsible_unit="370102",
                            resolution="resolved", within_time_limit=True, closed_by="staff:u-1", at=NOW)
    async with TestKafkaBroker(app.state.runtime.broker) as br:
        await br.publish(make_event(closed, tenant="370102", source="/hotline/dispatch", correlation_id="c").model_dump_json(), topic="ticket.closed.v1")
    again = await accept_contact("370102", call, deps=deps)
    assert again.created and again.ticket.ticket_id != first.ticket.ticket_id
    assert (await deps.tickets.get("370102", first.ticket.ticket_id)).state == "closed"


async def test_a_reopened_order_read_before_its_closure_absorbs_the_next_call(deps: Deps, tmp_path) -> None:
    app = create_app(Settings(hosted_tenants=deps.hosted, auth_jwks_path=str(tmp_path / "j.json")), start_dependencies=False, deps=deps)
    call = Contact(channel="hotline", business_type="fault_repair", summary="没电", owner="agent:a", account_no=NORMAL.account_no)
    first = await accept_contact("370102", call, deps=deps)
    tid = first.ticket.ticket_id
    closed = TicketClosedV1(ticket_id=tid, business_type="fault_repair", responsible_unit="370102",
                            resolution="resolved", within_time_limit=True, closed_by="staff:u-1", at=NOW)
    reopened = TicketReopenedV1(ticket_id=tid, cause="customer_called_back", reason="客户反映仍无电", by="staff:u-1",
                                at=NOW + timedelta(minutes=10))
    async with TestKafkaBroker(app.state.runtime.broker) as br:  # the two come on different topics: reopened read first
        for data, topic in ((reopened, "ticket.reopened.v1"), (closed, "ticket.closed.v1")):
            await br.publish(make_event(data, tenant="370102", source="/hotline/dispatch", correlation_id="c").model_dump_json(), topic=topic)
    again = await accept_contact("370102", call, deps=deps)
    assert again.repeat and again.ticket.ticket_id == tid
    assert (await deps.tickets.get("370102", tid)).state == "reopened"
