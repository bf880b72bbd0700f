"""Use cases that keep intake's own views current: active outages and the customer registry (停电投影、客户档案)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from intake.domain.model import ActiveOutage, Customer
from intake.ports import CustomerDirectory, OutageProjection

ENDED = {"outage.restored": "restored", "outage.cancelled": "cancelled"}


def outage_from_plan(tenant: str, data: Any) -> ActiveOutage:
    """An OutagePublishedV1 as the known-outage check needs it."""
    scope = data.scope
    return ActiveOutage(
        tenant=tenant, outage_id=data.outage_id, cause=data.cause, planned_start=data.planned_start, planned_end=data.planned_end,
        station_codes=tuple(scope.station_codes), feeder_codes=tuple(scope.feeder_codes), ta_codes=tuple(scope.ta_codes), area=scope.area,
    )


def outage_changes(data: Any) -> dict[str, Any]:
    """The fields of an OutageUpdatedV1 that the projection keeps."""
    changes: dict[str, Any] = {}
    for name in data.changed_fields:
        value = getattr(data, name)
        if name == "scope":
            changes.update(station_codes=tuple(value.station_codes), feeder_codes=tuple(value.feeder_codes), ta_codes=tuple(value.ta_codes), area=value.area)
        elif name in ("planned_start", "planned_end", "cause"):
            changes[name] = value
    return changes


async def apply_outage_event(tenant: str, event_name: str, data: Any, *, projection: OutageProjection) -> None:
    """Fold one outage event into the projection; restored and cancelled outages stop linking calls."""
    if event_name == "outage.published":
        await projection.save(tenant, outage_from_plan(tenant, data))
    elif event_name == "outage.updated":
        await projection.patch(tenant, data.outage_id, outage_changes(data))
    elif event_name == "outage.started":
        await projection.mark_started(tenant, data.outage_id)
    elif event_name in ENDED:
        at = getattr(data, "restored_at", None) or getattr(data, "cancelled_at", None)
        await projection.end(tenant, data.outage_id, ENDED[event_name], at)


def customer_from_record(tenant: str, record: Any) -> Customer:
    """A CustomerUpsertedV1 (or an imported CSV row with the same fields) as a registry entry."""
    return Customer(
        tenant=tenant, account_no=record.account_no, name=record.name, phone=record.phone, address=record.address,
        station_code=record.station_code, feeder_code=record.feeder_code, ta_code=record.ta_code,
        area_class=str(record.area_class), important=record.important, dedicated_transformer=record.dedicated_transformer,
        arrears_status=str(record.arrears_status),
    )


async def upsert_customer(tenant: str, record: Any, *, directory: CustomerDirectory) -> bool:
    updated_at: datetime = record.updated_at
    return await directory.upsert(tenant, customer_from_record(tenant, record), updated_at)
