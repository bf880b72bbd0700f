"""Outbound event data built from the domain (contracts live at this edge); use cases record it in their unit of work."""

from __future__ import annotations

from datetime import UTC, datetime

from dispatch.domain.model import HistoryEntry, State, WorkOrder
from hotline_contracts.events.common import TicketState
from hotline_contracts.events.ticket import TicketStateChangedV1

SYSTEM = "system:dispatch"
# Dispatch's finer states onto the shared TicketState; moves within one shared state publish
# only their own event (ticket.transferred, crew.assigned), never a state change to itself.
SHARED_STATE = {
    State.CREATED: TicketState.ACCEPTED, State.DISPATCHED: TicketState.DISPATCHED, State.ACCEPTED: TicketState.ASSIGNED,
    State.ON_SITE: TicketState.IN_PROGRESS, State.REPAIRED: TicketState.REPLIED, State.REPLIED: TicketState.REPLIED,
    State.REPLY_AUDITED: TicketState.AUDITED, State.RETURN_VISIT: TicketState.RETURN_VISIT,
    State.CLOSED: TicketState.CLOSED, State.ARCHIVED: TicketState.ARCHIVED, State.RETURNED: TicketState.RETURNED,
    State.TRANSFERRED: TicketState.DISPATCHED, State.REASSIGNED: TicketState.ASSIGNED,
    State.SUSPENDED: TicketState.SUSPENDED, State.REOPENED: TicketState.ACCEPTED,
    State.AWAITING_OUTAGE: TicketState.SUSPENDED,  # 等待停电恢复: the shared "clock paused" state
}


def state_changed(order: WorkOrder, entry: HistoryEntry) -> TicketStateChangedV1 | None:
    """ticket.state_changed.v1 for `entry`'s order, or None when the shared state does not move."""
    before, after = SHARED_STATE[State(entry.from_state)], SHARED_STATE[State(entry.to_state)]
    if before == after:
        return None
    reason = (entry.reason or "")[:200] or None
    return TicketStateChangedV1(
        ticket_id=order.ticket_id, from_state=before, to_state=after, actor=entry.actor, reason=reason, at=entry.at
    )


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
