"""Every saved example of every version validates against its model and its committed schema."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from contracts_testkit import EXAMPLES_DIR, SCHEMAS_DIR, example_files, load_json
from hotline_contracts.registry import EVENTS, all_topics, spec_for_topic

pytestmark = pytest.mark.unit


def _validator(topic: str) -> jsonschema.Draft202012Validator:
    schema = load_json(SCHEMAS_DIR / f"{topic}.json")
    jsonschema.Draft202012Validator.check_schema(schema)
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    return jsonschema.Draft202012Validator(schema, format_checker=checker)


@pytest.mark.parametrize("path", example_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_validates_against_model_and_schema(path: Path) -> None:
    topic = path.parent.name
    assert topic in all_topics(), f"examples for unregistered topic {topic}"
    raw = load_json(path)
    envelope = spec_for_topic(topic).parse(raw)
    assert envelope.type == spec_for_topic(topic).type
    errors = [e.message for e in _validator(topic).iter_errors(raw)]
    assert errors == []


@pytest.mark.parametrize("topic", all_topics())
def test_every_registered_event_has_an_example(topic: str) -> None:
    assert sorted((EXAMPLES_DIR / topic).glob("*.json")), f"no example under examples/{topic}/"


def test_schema_refuses_what_the_model_refuses(ticket_created_example: dict) -> None:
    validator = _validator("ticket.created.v1")
    bad_type = {**ticket_created_example, "type": "cn.95598.ticket.closed.v1"}
    bad_tenant = {**ticket_created_example, "tenant": "3701021"}
    extra = {**ticket_created_example, "data": {**ticket_created_example["data"], "vip": True}}
    bad_enum = {
        **ticket_created_example,
        "data": {**ticket_created_example["data"], "business_type": "chitchat"},
    }
    for raw in (bad_type, bad_tenant, extra, bad_enum):
        assert not validator.is_valid(raw)


def test_example_count_matches_registry() -> None:
    assert {p.parent.name for p in example_files()} == {s.topic for s in EVENTS.values()}
