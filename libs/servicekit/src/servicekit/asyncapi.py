"""AsyncAPI 3.0 documents of a service's Kafka topics (committed as services/<x>/asyncapi.json).

Written here from what the service runs and declares, not by FastStream's generator. FastStream derives
a message's payload from the handler's signature, and every handler takes raw bytes (so a refused
message reaches the dead letters whole): each payload came out empty. It lists only publishers made
with `broker.publisher(...)`, while events go out through `EventPublisher` and the outbox relay, and it
has no message key, no production server and no security schemes. So the document is built from:

- the topics the broker's subscribers consume (what actually runs), with their consumer groups;
- the service's `PUBLISHES` declaration (its `entrypoints/consumers.py`), plus `deadletter.v1` for any
  service that consumes (servicekit's `DeadLetterPublisher` sends what a consumer refuses); a test
  compares the declaration with the event classes the service's package constructs;
- each event's payload: the CloudEvents envelope with its `data`, the very JSON Schema
  `hotline_contracts.codegen` commits to libs/contracts/schemas/ (without `$schema`/`$id`, its `$defs`
  references pointed at where the schema sits in this document), and the saved example payloads;
- the Kafka message key (the envelope's subject, see `EventPublisher.publish`), the development server
  (the embedded broker, PLAINTEXT) and production (SASL_SSL with SCRAM-SHA-512 or PLAIN).

The documents are validated with the AsyncAPI parser (deploy/tests/test_asyncapi_documents.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from faststream.kafka.subscriber.usecase import LogicSubscriber

from hotline_contracts import codegen
from hotline_contracts.registry import EventSpec, spec_for_topic
from servicekit.deadletters import DEAD_LETTER_TOPIC

if TYPE_CHECKING:
    from servicekit.runtime import Runtime

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
EXAMPLES_DIR = codegen.DEFAULT_OUT.parent / "examples"  # libs/contracts/examples/<topic>/*.json
KEY_DESCRIPTION = (
    "消息键 = 信封的 subject（工单编号、停电编号、交接班编号），无 subject 时为事件 id。"
    " The envelope's `subject` (ticket id, outage id, handover id), or its `id` when it has none: "
    "one subject's events share a partition and arrive in order."
)
SERVERS: dict[str, Any] = {
    "development": {
        "host": "localhost:9092",
        "protocol": "kafka",
        "title": "开发环境 / development",
        "description": "The embedded broker (tansu) that `./dev up` starts: PLAINTEXT, no authentication "
        "(KAFKA_SECURITY_PROTOCOL=PLAINTEXT).",
    },
    "production": {
        "host": "{bootstrap}",
        "protocol": "kafka-secure",
        "title": "生产环境 / production",
        "description": "The deployment's Kafka cluster: KAFKA_SECURITY_PROTOCOL=SASL_SSL, KAFKA_SASL_MECHANISM "
        "SCRAM-SHA-512 (the chart's tier values) or PLAIN, credentials from the Secret `kafka.credentials.existingSecret`.",
        "variables": {
            "bootstrap": {
                "description": "One of KAFKA_BOOTSTRAP_SERVERS (the chart's `kafka.bootstrapServers`).",
                "default": "kafka-0.kafka-37.svc:9093",
                "examples": ["kafka-0.kafka-37.svc:9093", "kafka-0.kafka-3701.svc:9093", "kafka-0.kafka-370102.svc:9093"],
            }
        },
        "security": [
            {"$ref": "#/components/securitySchemes/scramSha512"},
            {"$ref": "#/components/securitySchemes/plain"},
        ],
    },
}
SECURITY_SCHEMES: dict[str, Any] = {
    "scramSha512": {"type": "scramSha512", "description": "SASL/SCRAM-SHA-512 over TLS (KAFKA_SASL_MECHANISM=SCRAM-SHA-512)."},
    "plain": {"type": "plain", "description": "SASL/PLAIN over TLS (KAFKA_SASL_MECHANISM=PLAIN)."},
}


def asyncapi_document(
    runtime: Runtime, *, publishes: Iterable[str], title: str, version: str = "1.0.0", description: str = ""
) -> dict[str, Any]:
    """The service's document: every topic its subscribers consume and every topic it publishes."""
    service = runtime.settings.service_name
    consumed = consumer_groups(runtime)
    published = set(publishes) | ({DEAD_LETTER_TOPIC} if consumed else set())
    topics = sorted(published | set(consumed))
    operations: dict[str, Any] = {}
    for topic in sorted(published):
        operations[operation_id("send", topic)] = _operation("send", spec_for_topic(topic), {"clientId": _enum([service])})
    for topic, groups in sorted(consumed.items()):
        bindings = {"groupId": _enum(groups), "clientId": _enum([service])}
        operations[operation_id("receive", topic)] = _operation("receive", spec_for_topic(topic), bindings)
    specs = [spec_for_topic(t) for t in topics]
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": f"urn:95598:service:{service}",
        "info": {"title": title, "version": version, "description": description},
        "defaultContentType": "application/json",
        "servers": SERVERS,
        "channels": {s.topic: _channel(s) for s in specs},
        "operations": operations,
        "components": {
            "messages": {message_id(s): _message(s) for s in specs},
            "schemas": {s.topic: payload_schema(s) for s in specs},
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def consumer_groups(runtime: Runtime) -> dict[str, list[str]]:
    """Topic → the consumer groups of the broker's subscribers that read it."""
    groups: dict[str, set[str]] = {}
    for subscriber in runtime.broker.subscribers:
        if not isinstance(subscriber, LogicSubscriber):  # every subscriber of a KafkaBroker is one
            continue
        for topic in subscriber.topic_names:
            groups.setdefault(topic, set()).add(subscriber.group_id or "")
    return {topic: sorted(g) for topic, g in groups.items()}


def message_id(spec: EventSpec) -> str:
    return spec.model.__name__


def operation_id(action: str, topic: str) -> str:
    return f"{action}.{topic}"


def payload_schema(spec: EventSpec) -> dict[str, Any]:
    """The committed envelope schema, its `#/$defs/...` references rewritten to this document's location."""
    schema = {k: v for k, v in codegen.envelope_schema(spec).items() if k not in ("$schema", "$id")}
    relocated: dict[str, Any] = _relocate(schema, f"#/components/schemas/{spec.topic}/$defs/")
    return relocated


def _relocate(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        return {k: (prefix + v.removeprefix("#/$defs/") if k == "$ref" and isinstance(v, str) else _relocate(v, prefix))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_relocate(v, prefix) for v in node]
    return node


def _summary(spec: EventSpec) -> str:
    return (spec.model.__doc__ or spec.type).strip().splitlines()[0]


def _enum(values: list[str]) -> dict[str, Any]:
    return {"type": "string", "enum": values}


def _channel(spec: EventSpec) -> dict[str, Any]:
    return {
        "address": spec.topic,
        "title": spec.topic,
        "description": _summary(spec),
        "messages": {message_id(spec): {"$ref": f"#/components/messages/{message_id(spec)}"}},
        "bindings": {"kafka": {"topic": spec.topic, "bindingVersion": KAFKA_BINDING_VERSION}},
    }


def _operation(action: str, spec: EventSpec, bindings: dict[str, Any]) -> dict[str, Any]:
    verb = "发布 / publishes" if action == "send" else "消费 / consumes"
    return {
        "action": action,
        "title": f"{verb} {spec.topic}",
        "summary": _summary(spec),
        "channel": {"$ref": f"#/channels/{spec.topic}"},
        "messages": [{"$ref": f"#/channels/{spec.topic}/messages/{message_id(spec)}"}],
        "bindings": {"kafka": {**bindings, "bindingVersion": KAFKA_BINDING_VERSION}},
    }


def _message(spec: EventSpec) -> dict[str, Any]:
    examples = _examples(spec.topic)
    key: dict[str, Any] = {"type": "string", "description": KEY_DESCRIPTION}
    if examples:
        key["examples"] = sorted({e["payload"].get("subject") or e["payload"]["id"] for e in examples})
    message: dict[str, Any] = {
        "name": spec.type,
        "title": message_id(spec),
        "summary": _summary(spec),
        "description": f"CloudEvents 1.0 envelope; JSON Schema `{codegen.schema_id(spec.topic)}` "
        f"(libs/contracts/schemas/{codegen.schema_file(spec.topic)}).",
        "contentType": "application/json",
        "headers": _headers(spec),
        "payload": {"$ref": f"#/components/schemas/{spec.topic}"},
        "correlationId": {"description": "The envelope's correlation id (also the `correlation_id` header).",
                          "location": "$message.payload#/correlation_id"},
        "bindings": {"kafka": {"key": key, "bindingVersion": KAFKA_BINDING_VERSION}},
    }
    if examples:
        message["examples"] = examples
    return message


def _headers(spec: EventSpec) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["ce_type", "ce_id", "correlation_id"],
        "properties": {
            "ce_type": {"type": "string", "const": spec.type, "description": "The envelope's `type`."},
            "ce_id": {"type": "string", "description": "The envelope's `id`."},
            "correlation_id": {"type": "string", "description": "The envelope's `correlation_id`."},
        },
    }


def _examples(topic: str) -> list[dict[str, Any]]:
    """The saved example payloads of libs/contracts/examples/<topic>/ (absent outside a source checkout)."""
    folder = EXAMPLES_DIR / topic
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    examples = []
    for f in files:
        payload = json.loads(f.read_text(encoding="utf-8"))
        headers = {"ce_type": payload["type"], "ce_id": payload["id"], "correlation_id": payload["correlation_id"]}
        examples.append({"name": f.stem, "headers": headers, "payload": payload})
    return examples


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
