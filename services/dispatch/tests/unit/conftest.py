"""Fixtures for the dispatch unit tests; the builders live in dispatch_builders.py."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from dispatch.domain.clocks import ClockRules, clock_rule_from_row
from dispatch_builders import CREWS, ROSTERS, FakeClock, local
from servicekit.calendar import BusinessCalendar


@pytest.fixture(scope="session")
def defaults() -> dict:
    from servicekit.calendar_store import calendar_defaults  # the holiday schedule ships with the kit

    shipped = json.loads(resources.files("dispatch").joinpath("data/default_rules.json").read_text(encoding="utf-8"))
    return {**calendar_defaults(), **shipped}


@pytest.fixture(scope="session")
def calendar() -> BusinessCalendar:
    return BusinessCalendar()


@pytest.fixture(scope="session")
def clock_rules(defaults: dict) -> ClockRules:
    return ClockRules([clock_rule_from_row(r) for r in defaults["timelimits"]])


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(local(2026, 11, 26, 9, 0))


@pytest.fixture
def outbox():
    """What the use cases committed for publication, in order (servicekit.uow.MemoryOutbox)."""
    from servicekit.uow import MemoryOutbox

    return MemoryOutbox()


@pytest.fixture
def deps(defaults, clock, outbox):
    from dispatch.bootstrap import fake_bootstrap

    return fake_bootstrap(clock=clock, outbox=outbox, crews=CREWS, rosters=ROSTERS,
                          rules={k: v for k, v in defaults.items() if k != "_comment"})
