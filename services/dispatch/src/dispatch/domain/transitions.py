"""The work-order state machine (工单状态机) as one table: action → {from state: to state}."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dispatch.domain.fresh_clocks import restart_clocks
from dispatch.domain.model import HistoryEntry, Pause, State, WorkOrder

S = State
# `depart` records a milestone without moving the order (accepted → accepted). Crew events come
# on separate topics, so a departure may be read after the arrival, and an arrival may imply the
# acceptance the crew's app never sent.
TRANSITIONS: dict[str, dict[State, State]] = {
    "dispatch": {S.CREATED: S.DISPATCHED, S.RETURNED: S.DISPATCHED, S.REOPENED: S.DISPATCHED, S.AWAITING_OUTAGE: S.DISPATCHED},
    # A call inside a known outage waits on it (no crew, clocks paused) and is closed by its restoration.
    "await_outage": {S.CREATED: S.AWAITING_OUTAGE},
    "close_by_outage": {S.AWAITING_OUTAGE: S.CLOSED},
    "accept": {S.DISPATCHED: S.ACCEPTED, S.TRANSFERRED: S.ACCEPTED, S.REASSIGNED: S.ACCEPTED},
    "depart": {S.ACCEPTED: S.ACCEPTED, S.ON_SITE: S.ON_SITE},
    "arrive": {S.ACCEPTED: S.ON_SITE, S.DISPATCHED: S.ON_SITE, S.REASSIGNED: S.ON_SITE},
    "complete": {S.ON_SITE: S.REPAIRED},
    "reply": {
        S.DISPATCHED: S.REPLIED, S.ACCEPTED: S.REPLIED, S.TRANSFERRED: S.REPLIED,
        S.ON_SITE: S.REPLIED, S.REPAIRED: S.REPLIED,
    },
    "audit_pass": {S.REPAIRED: S.REPLY_AUDITED, S.REPLIED: S.REPLY_AUDITED},
    # A failed audit goes back to whoever must answer again: the crew on site, or the unit.
    "audit_reject": {S.REPAIRED: S.ON_SITE, S.REPLIED: S.DISPATCHED},
    "return": {S.DISPATCHED: S.RETURNED, S.TRANSFERRED: S.RETURNED, S.REASSIGNED: S.RETURNED, S.ACCEPTED: S.RETURNED},
    "transfer": {S.DISPATCHED: S.TRANSFERRED, S.RETURNED: S.TRANSFERRED, S.ACCEPTED: S.TRANSFERRED},
    "reassign": {S.DISPATCHED: S.REASSIGNED, S.ACCEPTED: S.REASSIGNED},
    "suspend": {
        S.DISPATCHED: S.SUSPENDED, S.ACCEPTED: S.SUSPENDED, S.ON_SITE: S.SUSPENDED,
        S.TRANSFERRED: S.SUSPENDED, S.REASSIGNED: S.SUSPENDED,
    },
    "resume": {S.SUSPENDED: S.SUSPENDED},  # target is the state the order was suspended from
    "return_visit": {S.REPLY_AUDITED: S.RETURN_VISIT},
    "close": {S.REPLY_AUDITED: S.CLOSED, S.RETURN_VISIT: S.CLOSED},
    "archive": {S.CLOSED: S.ARCHIVED},
    "reopen": {S.CLOSED: S.REOPENED, S.RETURN_VISIT: S.REOPENED},
}
ACTIONS = tuple(TRANSITIONS)
# Which milestone a transition stamps (the clocks start and stop on milestones).
MILESTONES = {
    "dispatch": "dispatched", "accept": "accepted", "depart": "departed", "arrive": "on_site",
    "complete": "repaired", "reply": "replied", "close": "closed", "close_by_outage": "closed",
}
OUTAGE_PAUSE = "awaiting_outage"  # the pause reason of the time an order waits on its outage


@dataclass
class IllegalTransition(Exception):
    """非法状态流转: the action is not allowed from the order's state."""

    action: str
    state: str
    allowed: list[str]

    def __str__(self) -> str:
        return f"{self.action} not allowed in state {self.state}; allowed: {', '.join(self.allowed)}"


def allowed_actions(state: State) -> list[str]:
    """The actions the table allows from `state`, in table order."""
    return [action for action, moves in TRANSITIONS.items() if state in moves]


def target_of(order: WorkOrder, action: str) -> State:
    """The state `action` leads to from the order's state, or IllegalTransition."""
    moves = TRANSITIONS.get(action, {})
    if order.state not in moves:
        raise IllegalTransition(action, order.state.value, allowed_actions(order.state))
    if action == "resume":
        return State(order.suspended_from or State.DISPATCHED)
    return moves[order.state]


def apply(
    order: WorkOrder, action: str, *, actor: str, at: datetime, reason: str | None = None, reason_code: str | None = None
) -> HistoryEntry:
    """Move `order` by `action`, stamp its milestone and pause, and append the history entry."""
    to_state = target_of(order, action)
    entry = HistoryEntry(at=at, actor=actor, action=action, from_state=order.state.value, to_state=to_state.value, reason=reason)
    if action == "suspend":
        order.suspended_from = order.state.value
        order.pauses.append(Pause(started_at=at, reason_code=reason_code or "other", reason=reason or "", actor=actor))
    elif action == "await_outage":
        # From the order's creation: its clocks start there, and none of that time was the unit's to use.
        order.pauses.append(Pause(started_at=min(at, order.created_at), reason_code=OUTAGE_PAUSE, reason=reason or "", actor=actor))
    if action == "resume" or order.state == S.AWAITING_OUTAGE:
        pause = order.open_pause
        if pause is not None:
            pause.ended_at = at
        if action == "resume":
            order.suspended_from = None
    if action in MILESTONES:
        order.milestones.setdefault(MILESTONES[action], at)
    if action == "audit_reject":
        # A rejected order is answered again: its reply times start over.
        for name in ("replied", "repaired", "closed"):
            order.milestones.pop(name, None)
    elif action == "reopen":
        restart_clocks(order, at)
    order.state = to_state
    order.history.append(entry)
    return entry
