"""Routing (派单规则): which unit and supply station a new order goes to, most specific rule first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dispatch.domain.model import State, WorkOrder

MATCH_FIELDS = ("business_type", "sub_type", "station_code", "area_class", "urgency", "important")
RESPONSIBLE = "$responsible"  # the unit intake named
CUSTOMER_STATION = "$customer"  # the customer's own supply station


@dataclass(frozen=True)
class RouteDecision:
    """派单结果: the receiving unit and station and the rule that chose them."""

    rule_id: str | None
    to_unit: str
    station_code: str | None


def _matches(row: dict[str, Any], order: WorkOrder) -> bool:
    return all(row.get(f) is None or row.get(f) == getattr(order, f) for f in MATCH_FIELDS)


def _specificity(row: dict[str, Any]) -> tuple[int, int]:
    # More matching fields win; among equals the higher priority, then table order (stable sort).
    return (sum(row.get(f) is not None for f in MATCH_FIELDS), int(row.get("priority", 0)))


def route(order: WorkOrder, rows: list[dict[str, Any]]) -> RouteDecision:
    """The most specific matching rule decides; without any match the order stays with its responsible unit."""
    candidates = sorted((r for r in rows if _matches(r, order)), key=_specificity, reverse=True)
    if not candidates:
        return RouteDecision(None, order.responsible_unit, order.station_code)
    row = candidates[0]
    to_unit = row.get("to_unit") or RESPONSIBLE
    to_station = row.get("to_station", CUSTOMER_STATION)
    return RouteDecision(
        row["id"],
        order.responsible_unit if to_unit == RESPONSIBLE else to_unit,
        order.station_code if to_station == CUSTOMER_STATION else to_station,
    )


def needs_crew(order: WorkOrder) -> bool:
    """Repair orders get a crew, except those waiting on a known outage (already being repaired)."""
    return order.business_type == "fault_repair" and order.state != State.AWAITING_OUTAGE


def choose_crew(on_duty: list[str], workload: dict[str, int]) -> str | None:
    """抢修班组选择: the on-duty crew with the fewest open orders (ties by code), or None."""
    if not on_duty:
        return None
    return min(sorted(on_duty), key=lambda code: workload.get(code, 0))
