"""Each service's committed asyncapi.json, read by the real AsyncAPI parser (@asyncapi/parser): no parser
error, a payload on every message, and every topic the service consumes or declares publishing present."""

from __future__ import annotations

import copy
import importlib
import json
from pathlib import Path

import pytest

from deploykit import REPO, SERVICES

pytestmark = pytest.mark.deploy

ENVELOPE = {"specversion", "id", "source", "type", "time", "tenant", "correlation_id", "data"}
DOCUMENTS = {name: REPO / "services" / name / "asyncapi.json" for name in SERVICES}


def expected_topics(module: str) -> tuple[set[str], set[str]]:
    """(consumed, published): the subscribers of the service's broker, and its PUBLISHES plus dead letters."""
    settings = importlib.import_module(f"{module}.settings").Settings()
    app = importlib.import_module(f"{module}.app").create_app(settings, start_dependencies=False)
    consumed = {topic for sub in app.state.runtime.broker.subscribers for topic in sub.topic_names}
    published = set(importlib.import_module(f"{module}.entrypoints.consumers").PUBLISHES)
    return consumed, published | ({"deadletter.v1"} if consumed else set())


@pytest.fixture(scope="module")
def reports(asyncapi_parser) -> dict[str, dict]:
    code, parsed, stderr = asyncapi_parser(list(DOCUMENTS.values()))
    assert code == 0, stderr
    return {Path(r["file"]).parent.name: r for r in parsed}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_document_parses_with_every_payload_and_topic(reports: dict[str, dict], name: str) -> None:
    report = reports[name]
    assert report["asyncapi"] == "3.0.0"
    assert report["errors"] == [] and report["warnings"] == []
    consumed, published = expected_topics(SERVICES[name][0])
    by_action = {"receive": set(), "send": set()}
    for op in report["operations"]:
        by_action[op["action"]].add(op["channel"])
        for message in op["messages"]:
            assert message["payload"] is not None, f"{op['id']}: no payload"
            assert message["payload"]["data"], f"{op['id']}: the envelope has no data schema"
            assert ENVELOPE <= set(message["payload"]["properties"]), f"{op['id']}: not a CloudEvents envelope"
            assert message["key"] == "string", f"{op['id']}: no Kafka key"
    assert by_action == {"receive": consumed, "send": published}


def test_the_parser_refuses_a_hollow_or_broken_document(asyncapi_parser, tmp_path: Path) -> None:
    doc = json.loads(DOCUMENTS["dispatch"].read_text(encoding="utf-8"))
    hollow = copy.deepcopy(doc)
    del hollow["components"]["messages"]["CrewAssignedV1"]["payload"]
    dangling = copy.deepcopy(doc)
    dangling["components"]["schemas"]["crew.assigned.v1"]["properties"]["data"]["$ref"] = "#/$defs/CrewAssignedV1"
    paths = []
    for label, broken in (("hollow", hollow), ("dangling", dangling)):
        paths.append(tmp_path / f"{label}.json")
        paths[-1].write_text(json.dumps(broken), encoding="utf-8")
    code, parsed, stderr = asyncapi_parser(paths)
    assert code == 1
    assert "message cn.95598.crew.assigned.v1 has no payload" in stderr
    assert "'#/$defs/CrewAssignedV1' does not exist" in stderr
    assert all(r["errors"] for r in parsed)
