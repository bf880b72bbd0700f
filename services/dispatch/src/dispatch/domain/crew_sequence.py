"""班组事件顺序: crew reports (accepted → departed → arrived → completed) applied in their lifecycle order.

A crew's app may sync several reports at once, and each travels on its own topic, so dispatch can read
a completion before the arrival it follows. `verdict` says what to do with a report given the order as
it stands: apply it now, hold it until its predecessor is in (held reports are retried, then
dead-lettered), record a report that arrived after its successors as a milestone only, or refuse it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from dispatch.domain.model import HistoryEntry, State, WorkOrder
from dispatch.domain.transitions import MILESTONES, TRANSITIONS

LIFECYCLE = ("accept", "depart", "arrive", "complete")
# The milestone a report waits for. A departure is optional (an app may never send it), so an arrival
# waits for the acceptance only; a departure held with it is released first, in lifecycle order.
WAITS_FOR = {"depart": "accepted", "arrive": "accepted", "complete": "on_site"}
# States in which the missing predecessor can still come: a report is held only there.
CREW_STATES = frozenset({State.DISPATCHED, State.TRANSFERRED, State.REASSIGNED, State.ACCEPTED, State.ON_SITE})


class Verdict(StrEnum):
    APPLY = "apply"  # the transition table allows it and its predecessor is in
    HOLD = "hold"  # its predecessor has not been applied yet
    LATE = "late"  # a later step is already in: stamp its milestone, the state stays
    REFUSE = "refuse"  # not allowed, and waiting will not change that (illegal_transition)


def is_crew_step(action: str) -> bool:
    return action in LIFECYCLE


def rank(action: str) -> int:
    """Position in the crew lifecycle: held reports are released in this order."""
    return LIFECYCLE.index(action)


def verdict(order: WorkOrder, action: str) -> Verdict:
    stamped = order.milestones
    waits_for = WAITS_FOR.get(action)
    allowed = order.state in TRANSITIONS[action]
    if waits_for is not None and waits_for not in stamped:
        return Verdict.HOLD if order.state in CREW_STATES else Verdict.REFUSE
    if allowed:
        return Verdict.APPLY
    later = [MILESTONES[a] for a in LIFECYCLE[rank(action) + 1 :]]
    if MILESTONES[action] not in stamped and any(m in stamped for m in later):
        return Verdict.LATE
    return Verdict.REFUSE


def verdict_on_expiry(order: WorkOrder, action: str) -> Verdict:
    """Its predecessor never came: apply it if the table allows (an arrival implies the acceptance), else refuse."""
    if order.state in TRANSITIONS[action]:
        return Verdict.APPLY
    return Verdict.LATE if verdict(order, action) is Verdict.LATE else Verdict.REFUSE


def already_applied(order: WorkOrder, action: str) -> bool:
    """A held report whose milestone is stamped and that the state no longer allows was applied by another worker."""
    return MILESTONES[action] in order.milestones and order.state not in TRANSITIONS[action]


def record_late(order: WorkOrder, action: str, *, actor: str, at: datetime, reason: str | None = None) -> HistoryEntry:
    """补记: stamp the milestone of a report read after its successors; the state does not move."""
    order.milestones.setdefault(MILESTONES[action], at)
    entry = HistoryEntry(at=at, actor=actor, action=action, from_state=order.state.value, to_state=order.state.value,
                         reason=reason or "补记：晚于后续环节到达 / recorded late, after later steps")
    order.history.append(entry)
    return entry


@dataclass(frozen=True)
class HeldReport:
    """暂存的班组事件: a crew report read before its predecessor, kept until it can apply or `deadline` passes.

    `command` holds the step's fields (actor, at, crew_code, reply) to rebuild it; `payload` the consumed
    envelope as JSON, for the dead letter should it never apply.
    """

    tenant: str
    event_id: str
    ticket_id: str
    action: str
    topic: str
    command: dict[str, Any]
    payload: str
    held_at: datetime
    deadline: datetime
