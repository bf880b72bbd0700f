"""The envelope refuses unknown fields, bad tenant codes and a type that does not match the data."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from hotline_contracts import make_event, spec_for_topic
from hotline_contracts.events import TicketClosedV1, TicketCreatedV1

pytestmark = pytest.mark.unit

TICKET = spec_for_topic("ticket.created.v1")


def test_valid_example_parses_into_typed_data(ticket_created_example: dict) -> None:
    envelope = TICKET.parse(ticket_created_example)
    assert isinstance(envelope.data, TicketCreatedV1)
    assert envelope.data.business_type == "fault_repair"
    assert envelope.tenant == "370102"


def test_unknown_field_in_data_is_refused(ticket_created_example: dict) -> None:
    ticket_created_example["data"]["customer_phone"] = "13805310001"
    with pytest.raises(ValidationError, match="customer_phone"):
        TICKET.parse(ticket_created_example)


def test_unknown_envelope_attribute_is_refused(ticket_created_example: dict) -> None:
    ticket_created_example["priority"] = "high"
    with pytest.raises(ValidationError, match="priority"):
        TICKET.parse(ticket_created_example)


@pytest.mark.parametrize("tenant", ["3", "370", "3701020", "37A1", "", "shandong"])
def test_bad_tenant_code_is_refused(ticket_created_example: dict, tenant: str) -> None:
    ticket_created_example["tenant"] = tenant
    with pytest.raises(ValidationError, match="tenant"):
        TICKET.parse(ticket_created_example)


@pytest.mark.parametrize("tenant", ["37", "3701", "370102"])
def test_province_city_and_county_tenants_are_accepted(
    ticket_created_example: dict, tenant: str
) -> None:
    ticket_created_example["tenant"] = tenant
    assert TICKET.parse(ticket_created_example).tenant == tenant


def test_type_of_another_event_is_refused(ticket_created_example: dict) -> None:
    ticket_created_example["type"] = "cn.95598.ticket.closed.v1"
    with pytest.raises(ValidationError, match="does not match"):
        TICKET.parse(ticket_created_example)


def test_naive_timestamps_are_refused(ticket_created_example: dict) -> None:
    ticket_created_example["data"]["accepted_at"] = "2026-11-26T09:31:12"
    with pytest.raises(ValidationError, match="accepted_at"):
        TICKET.parse(ticket_created_example)


def test_payloads_are_frozen(ticket_created_example: dict) -> None:
    data = TICKET.parse(ticket_created_example).data
    with pytest.raises(ValidationError):
        data.summary = "changed"  # type: ignore[misc]


def test_make_event_derives_type_and_schema_and_round_trips(ticket_created_example: dict) -> None:
    data = TicketClosedV1(
        ticket_id="370102-20261126-000123",
        business_type="fault_repair",
        responsible_unit="370102",
        resolution="resolved",
        within_time_limit=True,
        closed_by="agent:liuyang",
        at=datetime(2026, 11, 26, 7, 20, tzinfo=UTC),
    )
    event = make_event(data, tenant="370102", source="/hotline/survey", correlation_id="c-1")
    assert event.type == "cn.95598.ticket.closed.v1"
    assert event.dataschema == "urn:95598:schema:ticket.closed.v1"
    again = spec_for_topic("ticket.closed.v1").parse(event.model_dump_json())
    assert again == event
    with pytest.raises(ValidationError):
        make_event(data, tenant="37010", source="/hotline/survey")


@pytest.mark.parametrize("attribute", ["id", "specversion", "type", "source", "time", "tenant", "correlation_id"])
def test_a_consumed_event_missing_a_required_attribute_is_refused_not_defaulted(
    ticket_created_example: dict, attribute: str
) -> None:
    del ticket_created_example[attribute]
    with pytest.raises(ValidationError) as refused:
        TICKET.parse(json.dumps(ticket_created_example))
    assert [(e["loc"], e["type"]) for e in refused.value.errors()] == [((attribute,), "missing")]


@pytest.mark.parametrize("attribute", ["id", "source", "type", "correlation_id"])
def test_an_empty_required_attribute_is_refused(ticket_created_example: dict, attribute: str) -> None:
    ticket_created_example[attribute] = ""
    with pytest.raises(ValidationError, match=attribute):
        TICKET.parse(ticket_created_example)


@pytest.mark.parametrize("version", ["0.3", "1.1", "1", ""])
def test_a_specversion_other_than_1_0_is_refused(ticket_created_example: dict, version: str) -> None:
    ticket_created_example["specversion"] = version
    with pytest.raises(ValidationError) as refused:
        TICKET.parse(json.dumps(ticket_created_example).encode())
    assert [e["loc"] for e in refused.value.errors()] == [("specversion",)]


def test_a_naive_event_time_is_refused(ticket_created_example: dict) -> None:
    ticket_created_example["time"] = "2026-11-26T09:31:13"
    with pytest.raises(ValidationError, match="time"):
        TICKET.parse(ticket_created_example)


def test_parsing_keeps_the_id_and_time_it_was_given(ticket_created_example: dict) -> None:
    first = TICKET.parse(json.dumps(ticket_created_example))
    again = TICKET.parse(json.dumps(ticket_created_example))
    assert first.id == again.id == ticket_created_example["id"]
    assert first.time == again.time == datetime.fromisoformat(ticket_created_example["time"])


def test_make_event_still_gives_a_new_event_a_fresh_id_and_time() -> None:
    data = TicketClosedV1(
        ticket_id="370102-20261126-000123", business_type="fault_repair", responsible_unit="370102", resolution="resolved",
        within_time_limit=True, closed_by="agent:liuyang", at=datetime(2026, 11, 26, 7, 20, tzinfo=UTC),
    )
    one, two = (make_event(data, tenant="370102", source="/hotline/survey") for _ in range(2))
    assert one.id != two.id and one.specversion == "1.0" and one.time.tzinfo is not None
    fixed = make_event(data, tenant="370102", source="/hotline/survey", event_id="e-1", time=data.at)
    assert (fixed.id, fixed.time) == ("e-1", data.at)
