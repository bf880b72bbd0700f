"""AsyncAPI documents generated from a service's FastStream broker (committed as services/<x>/asyncapi.json)."""

from __future__ import annotations

import json
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI


def asyncapi_document(broker: KafkaBroker, *, title: str, version: str = "1.0.0", description: str = "") -> dict[str, Any]:
    spec = AsyncAPI(broker, title=title, version=version, description=description, schema_version="3.0.0")
    return spec.to_specification().to_jsonable()


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
