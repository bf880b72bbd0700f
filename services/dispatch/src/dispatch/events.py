"""Outbound events: the envelopes dispatch publishes, built from the domain (contracts live at this edge)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from dispatch.domain.model import HistoryEntry, State, WorkOrder
from hotline_contracts import Envelope, make_event
from hotline_contracts.events.common import TicketState
from hotline_contracts.events.ticket import TicketStateChangedV1
from servicekit import correlation

SOURCE = "/hotline/dispatch"
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
}


@cache
def _envelope_class(model: type) -> type:
    return Envelope[model]  # type: ignore[valid-type]


def envelope(order: WorkOrder, data: Any) -> Any:
    # pydantic caches `Envelope[Model]` only weakly: unpinned, every GC cycle drops it and the next event
    # rebuilds it (~3 ms of schema generation on the event loop). Holding it here keeps make_event cheap.
    _envelope_class(type(data))
    return make_event(data, tenant=order.tenant, source=SOURCE, correlation_id=correlation.ensure(), subject=order.ticket_id)


def state_changed(order: WorkOrder, entry: HistoryEntry) -> Any | None:
    """ticket.state_changed.v1 for `entry`, or None when the shared state does not move."""
    before, after = SHARED_STATE[State(entry.from_state)], SHARED_STATE[State(entry.to_state)]
    if before == after:
        return None
    reason = (entry.reason or "")[:200] or None
    data = TicketStateChangedV1(
        ticket_id=order.ticket_id, from_state=before, to_state=after, actor=entry.actor, reason=reason, at=entry.at
    )
    return envelope(order, data)


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
