"""What each step of an order's life adds to the daily aggregates (事件 → 统计增量)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from analytics.domain.aggregates import Increment, local_day


class LifecycleStep(Protocol):
    """One step of an order's life as analytics counts it (the CountFact command)."""

    @property
    def kind(self) -> str: ...
    @property
    def ticket_id(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def business_type(self) -> str | None: ...
    @property
    def channel(self) -> str | None: ...
    @property
    def account_no(self) -> str | None: ...
    @property
    def responsible_unit(self) -> str | None: ...
    @property
    def summary(self) -> str | None: ...
    @property
    def resolution(self) -> str | None: ...
    @property
    def within_time_limit(self) -> bool | None: ...
    @property
    def first_contact_resolved(self) -> bool | None: ...

COUNTER_OF_KIND = {
    "created": "created", "closed": "closed", "reopened": "reopened", "repeat_contact": "repeat_contacts",
    "linked_to_outage": "linked_to_outage",
}


def increment_for(fact: LifecycleStep, business_type: str) -> Increment:
    """The counters `fact` adds; `business_type` is the fact's own, else the order's."""
    if fact.kind not in COUNTER_OF_KIND:
        raise ValueError(f"not a ticket lifecycle step analytics counts: {fact.kind}")
    counts = {COUNTER_OF_KIND[fact.kind]: 1}
    if fact.kind == "closed":
        counts.update(closed_within_limit=int(bool(fact.within_time_limit)), first_contact_resolved=int(bool(fact.first_contact_resolved)))
    return Increment(local_day(fact.at), business_type, counts, fact.channel if fact.kind == "created" else None)


def fact_for(fact: LifecycleStep) -> dict[str, Any] | None:
    """The per-order fields an export lists (created) or updates (closed); None for other steps."""
    if fact.kind == "created":
        return {
            "ticket_id": fact.ticket_id, "business_type": fact.business_type, "channel": fact.channel, "day": local_day(fact.at),
            "accepted_at": fact.at, "account_no": fact.account_no, "responsible_unit": fact.responsible_unit, "summary": fact.summary,
        }
    if fact.kind == "closed":
        return {"ticket_id": fact.ticket_id, "closed_at": fact.at, "resolution": fact.resolution, "within_time_limit": fact.within_time_limit}
    return None
