"""The work-order state machine: every legal move works, every illegal one is refused with the allowed list."""

from __future__ import annotations

import pytest

from dispatch.domain.model import State
from dispatch.domain.transitions import TRANSITIONS, IllegalTransition, allowed_actions, apply
from dispatch_builders import local, make_order

pytestmark = pytest.mark.unit
ILLEGAL = [(state, action) for state in State for action, moves in TRANSITIONS.items() if state not in moves]


@pytest.mark.parametrize(("state", "action"), ILLEGAL, ids=[f"{s.value}-{a}" for s, a in ILLEGAL])
def test_every_illegal_transition_is_refused_and_changes_nothing(state, action):
    order = make_order(state=state)
    with pytest.raises(IllegalTransition) as refused:
        apply(order, action, actor="staff:x", at=local(2026, 11, 26, 10))
    assert refused.value.allowed == allowed_actions(state)
    assert action not in refused.value.allowed
    assert order.state == state and order.history == []


def test_repair_order_golden_path_is_recorded_in_history():
    order = make_order()
    path = ["dispatch", "accept", "depart", "arrive", "complete", "audit_pass", "return_visit", "close", "archive"]
    for minute, action in enumerate(path):
        apply(order, action, actor="crew:x", at=local(2026, 11, 26, 10, minute), reason=f"r{minute}")
    assert order.state == State.ARCHIVED
    assert [(h.from_state, h.to_state) for h in order.history] == [
        ("created", "dispatched"), ("dispatched", "accepted"), ("accepted", "accepted"), ("accepted", "on_site"),
        ("on_site", "repaired"), ("repaired", "reply_audited"), ("reply_audited", "return_visit"),
        ("return_visit", "closed"), ("closed", "archived"),
    ]
    assert order.history[3].actor == "crew:x" and order.history[3].reason == "r3"
    assert order.milestones["on_site"] == local(2026, 11, 26, 10, 3)


def test_resume_returns_to_the_state_the_order_was_suspended_from():
    order = make_order(state=State.ON_SITE)
    apply(order, "suspend", actor="crew:x", at=local(2026, 11, 26, 10), reason="预约", reason_code="appointment")
    apply(order, "resume", actor="crew:x", at=local(2026, 11, 26, 11))
    assert order.state == State.ON_SITE
    assert order.pauses[0].ended_at == local(2026, 11, 26, 11) and order.pauses[0].reason_code == "appointment"


def test_failed_audit_sends_a_repair_back_on_site_and_a_reply_back_to_the_unit():
    repair, complaint = make_order(state=State.REPAIRED), make_order(state=State.REPLIED, business_type="complaint")
    apply(repair, "audit_reject", actor="agent:a", at=local(2026, 11, 26, 10))
    apply(complaint, "audit_reject", actor="agent:a", at=local(2026, 11, 26, 10))
    assert (repair.state, complaint.state) == (State.ON_SITE, State.DISPATCHED)


def test_reopened_order_is_dispatched_again():
    order = make_order(state=State.CLOSED)
    apply(order, "reopen", actor="agent:a", at=local(2026, 11, 27, 10), reason="回访不满意")
    apply(order, "dispatch", actor="system:dispatch", at=local(2026, 11, 27, 10, 1))
    assert order.state == State.DISPATCHED
