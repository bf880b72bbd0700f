"""The registry: every event registered once, topics named `<name>.v<N>`, types derived."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

from hotline_contracts import events as events_pkg
from hotline_contracts.envelope import EventData
from hotline_contracts.events import ALL_EVENTS, TicketCreatedV1
from hotline_contracts.events.outage import OutageUpdatedV1
from hotline_contracts.registry import EVENTS, _collect, all_topics, spec_for_topic, spec_for_type

pytestmark = pytest.mark.unit

TOPIC = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)*\.v[1-9][0-9]*$")
CHINESE = re.compile(r"^[\u4e00-\u9fff]")


def _event_classes_in_modules() -> set[type[EventData]]:
    found: set[type[EventData]] = set()
    for info in pkgutil.iter_modules(events_pkg.__path__):
        module = importlib.import_module(f"{events_pkg.__name__}.{info.name}")
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, EventData) and obj.event_name:
                found.add(obj)
    return found


def test_every_event_class_in_the_events_package_is_registered() -> None:
    missing = _event_classes_in_modules() - set(ALL_EVENTS)
    assert not missing, f"define-but-not-registered: {sorted(c.__name__ for c in missing)}"


def test_types_and_topics_are_unique_and_well_formed() -> None:
    topics = all_topics()
    assert len(EVENTS) == len(ALL_EVENTS) == len(topics) == len(set(topics))
    for event_type, spec in EVENTS.items():
        assert TOPIC.match(spec.topic), spec.topic
        assert spec.topic.endswith(f".v{spec.model.event_version}")
        assert event_type == f"cn.95598.{spec.topic}"
        assert spec_for_topic(spec.topic) is spec_for_type(event_type)


def test_registering_the_same_event_twice_fails() -> None:
    with pytest.raises(RuntimeError, match="twice"):
        _collect([TicketCreatedV1, OutageUpdatedV1, TicketCreatedV1])


def test_a_malformed_topic_is_refused() -> None:
    class BadNameV1(EventData):
        """坏名字: test only."""

        event_name = "Ticket Created"

    with pytest.raises(RuntimeError, match=r"not <name>\.v<N>"):
        _collect([BadNameV1])


def test_a_v2_registers_beside_v1() -> None:
    class TicketCreatedV2(TicketCreatedV1):
        """工单已受理 v2: test only."""

        event_version = 2

    specs = _collect([TicketCreatedV1, TicketCreatedV2])
    assert sorted(s.topic for s in specs.values()) == ["ticket.created.v1", "ticket.created.v2"]


def test_unknown_type_or_topic_raises_key_error() -> None:
    with pytest.raises(KeyError):
        spec_for_type("cn.95598.ticket.teleported.v1")
    with pytest.raises(KeyError):
        spec_for_topic("ticket.teleported.v1")


@pytest.mark.parametrize("model", ALL_EVENTS, ids=lambda m: m.__name__)
def test_event_classes_follow_the_conventions(model: type[EventData]) -> None:
    assert model.__name__.endswith(f"V{model.event_version}")
    assert CHINESE.match(model.__doc__ or ""), "docstring starts with the Chinese term"
    assert model.model_config.get("extra") == "forbid"
    assert model.model_config.get("frozen") is True
