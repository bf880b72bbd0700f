"""Shift handover (交接班): which orders the leaving shift hands over, nearest to breach first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dispatch.domain.model import State, WorkOrder


@dataclass(frozen=True)
class ShiftWindow:
    """班次: a named shift of a service centre, e.g. "2026-11-26/day" from 08:00 to 20:00 local."""

    name: str
    starts_at: datetime
    ends_at: datetime


def belongs_to_shift(order: WorkOrder, shift: ShiftWindow, agents: frozenset[str]) -> bool:
    """Owned by one of the shift's agents, or created during the shift."""
    return order.first_contact_owner in agents or shift.starts_at <= order.created_at < shift.ends_at


def select_for_handover(
    orders: list[WorkOrder], shift: ShiftWindow, agents: frozenset[str], due_of: dict[str, float | None]
) -> list[WorkOrder]:
    """Every unresolved order of the shift needing action; the earliest running deadline first, undated last.

    Orders waiting on their outage need nothing from the shift (the outage's restoration closes them):
    they are summed per outage (`waiting_on_outages`), not listed one by one.
    """
    chosen = [o for o in orders if o.is_open and o.state != State.AWAITING_OUTAGE and belongs_to_shift(o, shift, agents)]
    far = float("inf")
    return sorted(chosen, key=lambda o: (due_of.get(o.ticket_id) or far, o.created_at, o.ticket_id))


def waiting_on_outages(orders: list[WorkOrder], shift: ShiftWindow, agents: frozenset[str]) -> dict[str, int]:
    """等待停电恢复: outage id → how many of the shift's orders wait on it."""
    counts: dict[str, int] = {}
    for o in orders:
        if o.state == State.AWAITING_OUTAGE and o.outage_id and belongs_to_shift(o, shift, agents):
            counts[o.outage_id] = counts.get(o.outage_id, 0) + 1
    return counts
