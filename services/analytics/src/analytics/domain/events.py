"""What each ticket lifecycle event adds to the daily aggregates (事件 → 统计增量)."""

from __future__ import annotations

from typing import Any

from analytics.domain.aggregates import Increment, local_day
from hotline_contracts.events.ticket import (
    TicketClosedV1,
    TicketCreatedV1,
    TicketLinkedToOutageV1,
    TicketReopenedV1,
    TicketRepeatContactV1,
)


def increment_for(data: Any, business_type: str) -> Increment:
    """The counters `data` adds; `business_type` comes from the order when the event lacks it."""
    if isinstance(data, TicketCreatedV1):
        return Increment(local_day(data.accepted_at), data.business_type.value, {"created": 1}, data.channel.value)
    if isinstance(data, TicketClosedV1):
        counts = {
            "closed": 1,
            "closed_within_limit": int(data.within_time_limit),
            "first_contact_resolved": int(data.first_contact_resolved),
        }
        return Increment(local_day(data.at), data.business_type.value, counts)
    if isinstance(data, TicketReopenedV1):
        return Increment(local_day(data.at), business_type, {"reopened": 1})
    if isinstance(data, TicketRepeatContactV1):
        return Increment(local_day(data.at), business_type, {"repeat_contacts": 1})
    if isinstance(data, TicketLinkedToOutageV1):
        return Increment(local_day(data.at), business_type, {"linked_to_outage": 1})
    raise TypeError(f"not a ticket lifecycle event analytics counts: {type(data).__name__}")


def fact_for(data: Any) -> dict[str, Any] | None:
    """The per-order fields an export lists (created) or updates (closed); None for other events."""
    if isinstance(data, TicketCreatedV1):
        return {
            "ticket_id": data.ticket_id,
            "business_type": data.business_type.value,
            "channel": data.channel.value,
            "day": local_day(data.accepted_at),
            "accepted_at": data.accepted_at,
            "account_no": data.account_no,
            "responsible_unit": data.responsible_unit,
            "summary": data.summary,
        }
    if isinstance(data, TicketClosedV1):
        return {"ticket_id": data.ticket_id, "closed_at": data.at, "resolution": data.resolution.value,
                "within_time_limit": data.within_time_limit}
    return None
