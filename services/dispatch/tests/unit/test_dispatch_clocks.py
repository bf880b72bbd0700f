"""Clocks driven by an injected clock: wall-clock limits, working days across a holiday and a make-up workday."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch.domain.clocks import evaluate, mark_signals, signals
from dispatch.domain.transitions import apply
from dispatch_builders import local, make_order

pytestmark = pytest.mark.unit
LEVELS = [50, 75, 90, 100]


def _clock(order, rules, cal, now, name):
    return next(s for s in evaluate(order, rules, cal, now) if s.clock == name)


def test_urban_repair_arrival_clock_is_45_minutes(clock_rules, calendar):
    order = make_order()
    status = _clock(order, clock_rules, calendar, local(2026, 11, 26, 9, 30), "arrival")
    assert status.rule_id == "tl-repair-arrival-urban"
    assert status.percent == pytest.approx(30 / 45 * 100)
    assert status.due_at == local(2026, 11, 26, 9, 45).timestamp()


@pytest.mark.parametrize(("area", "important", "minutes"), [("rural", False, 90), ("remote", False, 120), ("urban", True, 30)])
def test_arrival_limit_follows_area_class_and_important_status(clock_rules, calendar, area, important, minutes):
    order = make_order(area_class=area, important=important)
    status = _clock(order, clock_rules, calendar, order.created_at, "arrival")
    assert status.due_at == (order.created_at + timedelta(minutes=minutes)).timestamp()


def test_important_customer_also_has_a_5_minute_dispatch_clock(clock_rules, calendar):
    order = make_order(important=True)
    names = {s.clock for s in evaluate(order, clock_rules, calendar, order.created_at)}
    assert names == {"dispatch", "arrival"}
    assert _clock(order, clock_rules, calendar, order.created_at, "dispatch").due_at == order.created_at.timestamp() + 300


def test_restoration_starts_on_arrival_and_arrival_stops(clock_rules, calendar):
    order = make_order()
    for action, minute in (("dispatch", 1), ("accept", 2), ("arrive", 40)):
        apply(order, action, actor="crew:x", at=local(2026, 11, 26, 9, minute))
    statuses = {s.clock: s for s in evaluate(order, clock_rules, calendar, local(2026, 11, 26, 11, 10))}
    assert statuses["arrival"].stopped and statuses["arrival"].percent == pytest.approx(40 / 45 * 100)
    assert statuses["restoration"].percent == pytest.approx(50.0)  # 90 of 180 minutes


def test_complaint_reply_clock_skips_national_day_and_counts_the_make_up_saturday(clock_rules, calendar):
    # 2026: 1-7 October are holidays, Saturday 10 October is a make-up workday (调休).
    order = make_order(business_type="complaint", sub_type="service_conduct", created_at=local(2026, 9, 30, 10, 0))
    at_holiday_start = _clock(order, clock_rules, calendar, local(2026, 10, 1, 10, 0), "reply")
    at_holiday_end = _clock(order, clock_rules, calendar, local(2026, 10, 7, 23, 0), "reply")
    assert at_holiday_start.percent == at_holiday_end.percent == pytest.approx(14 / 96 * 100)
    on_make_up_day = _clock(order, clock_rules, calendar, local(2026, 10, 10, 10, 0), "reply")
    assert on_make_up_day.percent == pytest.approx(72 / 96 * 100)
    sunday = _clock(order, clock_rules, calendar, local(2026, 10, 11, 20, 0), "reply")
    assert sunday.percent == pytest.approx(86 / 96 * 100)  # Saturday counted to midnight, Sunday not
    assert on_make_up_day.due_at == local(2026, 10, 12, 10, 0).timestamp()


def test_tenant_override_turns_a_workday_into_a_holiday(clock_rules):
    from servicekit.calendar import BusinessCalendar

    cal = BusinessCalendar({local(2026, 10, 8).date(): False})
    order = make_order(business_type="complaint", created_at=local(2026, 9, 30, 10, 0))
    assert _clock(order, clock_rules, cal, local(2026, 10, 8, 12, 0), "reply").percent == pytest.approx(14 / 96 * 100)
    assert _clock(order, clock_rules, cal, local(2026, 10, 1), "reply").due_at == local(2026, 10, 13, 10, 0).timestamp()


def test_every_warning_level_then_the_breach_each_once(clock_rules, calendar):
    order = make_order(business_type="complaint", created_at=local(2026, 9, 30, 10, 0))
    seen = []
    for now in (local(2026, 10, 8, 10), local(2026, 10, 9, 10), local(2026, 10, 9, 16), local(2026, 10, 10, 10), local(2026, 10, 12, 2),
                local(2026, 10, 12, 10), local(2026, 10, 12, 12)):
        new = signals(order, evaluate(order, clock_rules, calendar, now), LEVELS)
        mark_signals(order, new)
        seen.append([(s.clock, s.level, s.breach) for s in new if s.clock == "reply"])
    assert seen == [
        [], [("reply", 1, False)], [], [("reply", 2, False)], [("reply", 3, False)],
        [("reply", 4, False), ("reply", 0, True)], [],
    ]


def test_late_first_scan_raises_every_level_it_skipped(clock_rules, calendar):
    order = make_order()
    new = signals(order, evaluate(order, clock_rules, calendar, local(2026, 11, 26, 10, 0)), LEVELS)
    assert [(s.level, s.breach) for s in new] == [(1, False), (2, False), (3, False), (4, False), (0, True)]


def test_suspension_pauses_the_clock_and_resume_restarts_it(clock_rules, calendar):
    order = make_order()
    apply(order, "dispatch", actor="system:dispatch", at=local(2026, 11, 26, 9, 0))
    apply(order, "suspend", actor="staff:a", at=local(2026, 11, 26, 9, 10), reason="客户不在家", reason_code="waiting_customer")
    paused = _clock(order, clock_rules, calendar, local(2026, 11, 26, 12, 0), "arrival")
    assert paused.paused and paused.percent == pytest.approx(10 / 45 * 100)
    assert signals(order, [paused], LEVELS) == []
    apply(order, "resume", actor="staff:a", at=local(2026, 11, 26, 13, 0))
    running = _clock(order, clock_rules, calendar, local(2026, 11, 26, 13, 20), "arrival")
    assert not running.paused and running.percent == pytest.approx(30 / 45 * 100)
    assert running.due_at == local(2026, 11, 26, 13, 35).timestamp()
