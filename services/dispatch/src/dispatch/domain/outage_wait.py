"""Orders waiting on a known outage (等待停电恢复): what its restoration or cancellation does to each.

A repair call from inside a published outage is linked to it by intake and waits on it here: no crew,
its clocks paused. The outage's end settles every order waiting on it:

- restored (送电), for calls accepted up to the restoration: closed, the restoration is the resolution;
- restored, for a call accepted after the restoration: the caller still has no power after the outage
  ended, so the fault is their own and is dispatched as an ordinary repair (RULES: only calls inside
  an *active* outage are linked instead of dispatched);
- cancelled (停电取消): the outage never happened, so nothing explains the caller's fault: dispatched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from dispatch.domain.model import State, WorkOrder


class OutageEnd(StrEnum):
    """停电结束方式."""

    RESTORED = "restored"  # 已送电
    CANCELLED = "cancelled"  # 已取消


@dataclass(frozen=True)
class OutageOutcome:
    """停电结果: how and when a known outage ended, and the event that said so."""

    outage_id: str
    end: OutageEnd
    at: datetime
    event_id: str | None = None


def settling_action(order: WorkOrder, outcome: OutageOutcome) -> str | None:
    """The transition the outage's end applies to `order` (close_by_outage or dispatch), or None if it is not waiting on it."""
    if order.state != State.AWAITING_OUTAGE or order.outage_id != outcome.outage_id:
        return None
    if outcome.end == OutageEnd.RESTORED and order.created_at <= outcome.at:
        return "close_by_outage"
    return "dispatch"


def waits_on(outage_id: str | None, created_at: datetime, outcome: OutageOutcome | None) -> bool:
    """A new linked order waits unless its outage is already known to have ended (then it is dispatched at once,
    or, accepted before a restoration that was heard first, closed by the next settlement)."""
    if outage_id is None:
        return False
    if outcome is None:
        return True
    return outcome.end == OutageEnd.RESTORED and created_at <= outcome.at
