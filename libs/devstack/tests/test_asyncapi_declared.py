"""Each service's AsyncAPI document lists what it really publishes and consumes, with the contracts' payloads.

The parser's verdict on the committed documents is in deploy/tests/test_asyncapi_documents.py.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from devstack.codegen import ROOT, asyncapi_path
from devstack.eventscan import constructed_events, package_dir
from devstack.services import SERVICES, ServiceDef

pytestmark = pytest.mark.unit

SCHEMAS = ROOT / "libs" / "contracts" / "schemas"
DEAD_LETTERS = "deadletter.v1"


def declared(svc: ServiceDef) -> tuple[str, ...]:
    return importlib.import_module(f"{svc.module}.entrypoints.consumers").PUBLISHES


def subscribed_topics(svc: ServiceDef) -> set[str]:
    """What the service's broker subscribes to once its app is built (nothing is started)."""
    app_module = importlib.import_module(f"{svc.module}.app")
    settings = importlib.import_module(f"{svc.module}.settings").Settings()
    app = app_module.create_app(settings, start_dependencies=False)
    return {topic for sub in app.state.runtime.broker.subscribers for topic in sub.topic_names}


def committed(svc: ServiceDef) -> dict[str, Any]:
    return json.loads(asyncapi_path(svc.name).read_text(encoding="utf-8"))


def operations(doc: dict[str, Any], action: str) -> set[str]:
    return {doc["channels"][op["channel"]["$ref"].rsplit("/", 1)[1]]["address"] for op in doc["operations"].values()
            if op["action"] == action}


def resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


@pytest.mark.parametrize("svc", SERVICES, ids=lambda s: s.name)
def test_every_event_the_package_constructs_is_declared(svc: ServiceDef) -> None:
    built = constructed_events(package_dir(svc.module))
    undeclared = {topic: where for topic, where in built.items() if topic not in declared(svc)}
    assert not undeclared, f"{svc.name} publishes events missing from PUBLISHES in entrypoints/consumers.py: {undeclared}"
    assert set(declared(svc)) <= set(built), f"{svc.name} declares topics it never publishes: {set(declared(svc)) - set(built)}"


def test_the_scan_finds_an_event_however_it_is_named(tmp_path: Path) -> None:
    package = tmp_path / "fake"
    package.mkdir()
    (package / "a.py").write_text(
        "from hotline_contracts.events import CrewAssignedV1 as Assigned, CustomerUpsertedV1\n"
        "from hotline_contracts import events\n"
        "x = Assigned(ticket_id='t')\n"
        "y = events.TicketReopenedV1(ticket_id='t')\n"
        "z = CustomerUpsertedV1.model_validate({})  # parsing, not publishing\n",
        encoding="utf-8",
    )
    assert constructed_events(package) == {"crew.assigned.v1": ["fake/a.py:3"], "ticket.reopened.v1": ["fake/a.py:4"]}


@pytest.mark.parametrize("svc", SERVICES, ids=lambda s: s.name)
def test_document_lists_every_consumed_and_published_topic(svc: ServiceDef) -> None:
    doc = committed(svc)
    consumed = subscribed_topics(svc)
    assert operations(doc, "receive") == consumed
    assert operations(doc, "send") == set(declared(svc)) | ({DEAD_LETTERS} if consumed else set())
    assert set(doc["channels"]) == consumed | operations(doc, "send")


def test_crew_apps_learn_crew_assigned_from_dispatch() -> None:
    doc = committed(next(s for s in SERVICES if s.name == "dispatch"))
    send = doc["operations"]["send.crew.assigned.v1"]
    message = resolve(doc, resolve(doc, send["messages"][0]["$ref"])["$ref"])
    assert message["name"] == "cn.95598.crew.assigned.v1"
    payload = resolve(doc, message["payload"]["$ref"])
    data = resolve(doc, payload["properties"]["data"]["$ref"])
    assert {"ticket_id", "crew_code", "handler", "at", "assigned_by"} <= set(data["required"])
    assert message["bindings"]["kafka"]["key"]["type"] == "string"


@pytest.mark.parametrize("svc", SERVICES, ids=lambda s: s.name)
def test_every_payload_is_the_committed_envelope_schema(svc: ServiceDef) -> None:
    doc = committed(svc)
    for message_id, message in doc["components"]["messages"].items():
        topic = message["payload"]["$ref"].rsplit("/", 1)[1]
        text = json.dumps(doc["components"]["schemas"][topic]).replace(f"#/components/schemas/{topic}/$defs/", "#/$defs/")
        schema_file = json.loads((SCHEMAS / f"{topic}.json").read_text(encoding="utf-8"))
        assert json.loads(text) == {k: v for k, v in schema_file.items() if k not in ("$schema", "$id")}, message_id
        ce_type = message["headers"]["properties"]["ce_type"]["const"]
        assert schema_file["properties"]["type"]["const"] == message["name"] == ce_type, message_id
        assert message["bindings"]["kafka"]["key"]["type"] == "string", message_id
        for example in message.get("examples", []):
            assert example["payload"]["type"] == message["name"]


@pytest.mark.parametrize("svc", SERVICES, ids=lambda s: s.name)
def test_servers_are_the_embedded_broker_and_production_over_sasl_ssl(svc: ServiceDef) -> None:
    doc = committed(svc)
    dev, prod = doc["servers"]["development"], doc["servers"]["production"]
    assert (dev["host"], dev["protocol"], dev.get("security")) == ("localhost:9092", "kafka", None)
    assert prod["protocol"] == "kafka-secure"
    schemes = [resolve(doc, s["$ref"])["type"] for s in prod["security"]]
    assert schemes == ["scramSha512", "plain"]
