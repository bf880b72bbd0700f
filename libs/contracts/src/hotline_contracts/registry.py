"""The one place every versioned event and its topic is registered."""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter

from hotline_contracts import events as _events
from hotline_contracts.envelope import Envelope, EventData


@dataclass(frozen=True)
class EventSpec:
    """A registered event: its payload model, CloudEvents type and Kafka topic."""

    model: type[EventData]

    @property
    def type(self) -> str:
        return self.model.cloudevent_type()

    @property
    def topic(self) -> str:
        return self.model.topic()

    @property
    def envelope(self) -> builtins.type[BaseModel]:  # `type` here is the property above
        return Envelope[self.model]  # type: ignore[name-defined]

    def parse(self, raw: bytes | str | dict[str, Any]) -> Envelope[Any]:
        """Validate a raw message as this event's envelope (raises pydantic.ValidationError)."""
        adapter = _adapter(self.model)
        if isinstance(raw, dict):
            return adapter.validate_python(raw)
        return adapter.validate_json(raw)


TOPIC_PATTERN = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)*\.v[1-9][0-9]*$")


@cache
def _adapter(model: type[EventData]) -> TypeAdapter[Envelope[Any]]:
    return TypeAdapter(Envelope[model])  # type: ignore[valid-type]


def _collect(models: Iterable[type[EventData]]) -> dict[str, EventSpec]:
    """Index `models` by CloudEvents type; refuse duplicates and malformed names."""
    specs: dict[str, EventSpec] = {}
    topics: set[str] = set()
    for model in models:
        spec = EventSpec(model)
        if not TOPIC_PATTERN.match(spec.topic):
            raise RuntimeError(f"{model.__name__}: topic {spec.topic!r} is not <name>.v<N>")
        if spec.type in specs or spec.topic in topics:
            raise RuntimeError(f"event registered twice: {spec.type}")
        specs[spec.type] = spec
        topics.add(spec.topic)
    return specs


EVENTS: dict[str, EventSpec] = _collect(_events.ALL_EVENTS)
_BY_TOPIC: dict[str, EventSpec] = {spec.topic: spec for spec in EVENTS.values()}


def spec_for_type(cloudevent_type: str) -> EventSpec:
    return EVENTS[cloudevent_type]


def spec_for_topic(topic: str) -> EventSpec:
    return _BY_TOPIC[topic]


def all_topics() -> list[str]:
    return sorted(_BY_TOPIC)
