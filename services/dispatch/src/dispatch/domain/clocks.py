"""Time-limit clocks (时限): rule selection, evaluation as a pure function, and warning/breach signals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from dispatch.domain.fresh_clocks import REOPENED
from dispatch.domain.model import WorkOrder
from servicekit.calendar import BusinessCalendar

CLOCK_NAMES = ("first_contact", "dispatch", "arrival", "restoration", "reply")
MATCH_FIELDS = ("business_type", "sub_type", "area_class", "important", "referred_from")


@dataclass(frozen=True)
class ClockRule:
    """时限规则行: one clock's limit for the orders it matches (None matches anything)."""

    id: str
    clock: str
    business_type: str
    start: str  # milestone that starts the clock
    stop: tuple[str, ...]  # milestones that stop it
    limit_minutes: float | None = None
    limit_working_days: float | None = None
    sub_type: str | None = None
    area_class: str | None = None
    important: bool | None = None
    referred_from: str | None = None  # 转办来源: a complaint referred by 12398 / 12345 / another channel
    priority: int = 0  # breaks ties between equally specific rows (important beats area class)
    # Derived once: the scanner reads them for every open order.
    working: bool = field(init=False)
    limit_seconds: float = field(init=False)

    def __post_init__(self) -> None:
        working = self.limit_working_days is not None
        object.__setattr__(self, "working", working)
        limit = (self.limit_working_days or 0) * 86_400 if working else (self.limit_minutes or 0) * 60
        object.__setattr__(self, "limit_seconds", float(limit))

    def matches(self, order: WorkOrder) -> bool:
        return all(getattr(self, f) is None or getattr(self, f) == getattr(order, f) for f in MATCH_FIELDS)

    def specificity(self) -> tuple[int, int]:
        return (sum(getattr(self, f) is not None for f in MATCH_FIELDS[1:]), self.priority)


class ClockStatus(NamedTuple):
    """One clock of one order at `now`: how much of the limit is used and when it runs out."""

    clock: str
    rule_id: str
    percent: float
    due_at: float  # epoch seconds
    stopped: bool
    paused: bool


class ClockRules:
    """The active clock rows of a tenant, with the per-order choice cached by the matching facts."""

    def __init__(self, rows: list[ClockRule]) -> None:
        self.rows = rows
        self._cache: dict[tuple[object, ...], list[ClockRule]] = {}

    def for_order(self, order: WorkOrder) -> list[ClockRule]:
        key = tuple(getattr(order, f) for f in MATCH_FIELDS)
        chosen = self._cache.get(key)
        if chosen is None:
            best: dict[str, ClockRule] = {}
            for row in self.rows:
                if row.matches(order) and (row.clock not in best or row.specificity() > best[row.clock].specificity()):
                    best[row.clock] = row
            chosen = self._cache[key] = [best[c] for c in CLOCK_NAMES if c in best]
        return chosen


def _paused_seconds(order: WorkOrder, start: float, end: float, measure: Callable[[float], float]) -> float:
    total = 0.0
    for pause in order.pauses:
        p0 = max(pause.started_at.timestamp(), start)
        p1 = min(pause.ended_at.timestamp() if pause.ended_at else end, end)
        if p1 > p0:
            total += measure(p1) - measure(p0)
    return total


def clock_start(order: WorkOrder, rule: ClockRule) -> datetime | None:
    """When the clock started: its start milestone, or the reopen (重启) when that is later.

    A reopened order is handled afresh: every clock counts from the reopen, not from the first acceptance.
    """
    started = order.milestones.get(rule.start)
    reopened = order.milestones.get(REOPENED)
    if started is not None and reopened is not None and reopened > started:
        return reopened
    return started


def evaluate_clock(order: WorkOrder, rule: ClockRule, calendar: BusinessCalendar, now: float) -> ClockStatus | None:
    """The clock's state at `now`, or None when its start milestone has not happened yet."""
    milestones = order.milestones
    started = clock_start(order, rule)
    if started is None:
        return None
    stopped_at = None
    for name in rule.stop:
        if name in milestones:
            stopped_at = milestones[name]
            break
    start = started.timestamp()
    end = now if stopped_at is None else stopped_at.timestamp()
    limit = rule.limit_seconds
    if rule.working:
        measure = calendar.working_seconds
        w_end = measure(end)
        elapsed = w_end - measure(start)
        if order.pauses:
            elapsed -= _paused_seconds(order, start, end, measure)
        due = calendar.at_working_seconds(w_end + limit - elapsed)
    else:
        elapsed = end - start
        if order.pauses:
            elapsed -= _paused_seconds(order, start, end, float)
        due = end + limit - elapsed
    paused = stopped_at is None and order.open_pause is not None
    return ClockStatus(rule.clock, rule.id, 100.0 * elapsed / limit, due, stopped_at is not None, paused)


def evaluate(order: WorkOrder, rules: ClockRules, calendar: BusinessCalendar, now: datetime | float) -> list[ClockStatus]:
    """Every clock of `order` at `now` (pure: the same inputs give the same answer)."""
    t = now if isinstance(now, float) else now.timestamp()
    out = []
    for rule in rules.for_order(order):
        status = evaluate_clock(order, rule, calendar, t)  # None until the clock's start milestone
        if status is not None:
            out.append(status)
    return out


class Signal(NamedTuple):
    """预警/超时: a warning level newly reached (level 1-4) or a breach (level 0, breach=True)."""

    clock: str
    rule_id: str
    level: int
    threshold: float
    due_at: float
    breach: bool = False


def signals(order: WorkOrder, statuses: list[ClockStatus], thresholds: list[float]) -> list[Signal]:
    """What is newly due for running clocks: each warning level and the breach at most once per clock."""
    out: list[Signal] = []
    first = thresholds[0] if thresholds else 100.0
    for st in statuses:
        if st.stopped or st.paused or st.percent < first:
            continue  # the common case for a healthy order: nothing to look up
        mark = order.marks.get(st.clock) or {}
        sent = mark.get("level", 0)
        for level, threshold in enumerate(thresholds, start=1):
            if level > sent and st.percent >= threshold:
                out.append(Signal(st.clock, st.rule_id, level, threshold, st.due_at))
        if st.percent >= 100.0 and not mark.get("breached"):
            out.append(Signal(st.clock, st.rule_id, 0, 100.0, st.due_at, True))
    return out


def mark_signals(order: WorkOrder, new: list[Signal]) -> dict[str, dict[str, int | bool]]:
    """Record `new` on the order; returns the changed marks (clock → mark) to store."""
    changed: dict[str, dict[str, int | bool]] = {}
    for sig in new:
        mark = dict(order.marks.get(sig.clock, {"level": 0, "breached": False}))
        if sig.breach:
            mark["breached"] = True
        else:
            mark["level"] = max(int(mark.get("level", 0)), sig.level)
        order.marks[sig.clock] = changed[sig.clock] = mark
    return changed


def nearest_due(statuses: list[ClockStatus]) -> float | None:
    """The earliest due time among running clocks (for near-breach-first ordering)."""
    running = [s.due_at for s in statuses if not s.stopped]
    return min(running) if running else None


def within_limits(statuses: list[ClockStatus], order: WorkOrder | None = None) -> bool:
    """Every clock met: none over its limit now, and none the scanner already reported breached.

    A clock stopped by a time given afterwards (a contact reported late with an earlier time) may look
    met now; the breach was raised and supervised, so the close must not report it on time.
    """
    breached = order is not None and any(mark.get("breached") for mark in order.marks.values())
    return not breached and all(s.percent <= 100.0 for s in statuses)


def clock_rule_from_row(row: dict[str, Any]) -> ClockRule:
    return ClockRule(
        id=row["id"], clock=row["clock"], business_type=row["business_type"], start=row.get("start", "created"),
        stop=tuple(row["stop"]), limit_minutes=row.get("limit_minutes"), limit_working_days=row.get("limit_working_days"),
        sub_type=row.get("sub_type"), area_class=row.get("area_class"), important=row.get("important"),
        referred_from=row.get("referred_from"), priority=int(row.get("priority", 0)),
    )
