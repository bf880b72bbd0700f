"""Contract models in, commands out: what outage and customer events say, in intake's terms."""

from __future__ import annotations

from typing import Any

from intake.commands import EndOutage, KnowOutage, OutageCommand, RescopeOutage, StartOutage, UpsertCustomer
from intake.domain.model import ActiveOutage, Customer

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


def outage_command(tenant: str, data: Any) -> OutageCommand:
    """The command one outage event asks for (published, updated, started, restored or cancelled)."""
    name = data.event_name
    if name == "outage.published":
        return KnowOutage(outage_from_plan(tenant, data))
    if name == "outage.updated":
        return RescopeOutage(data.outage_id, outage_changes(data))
    if name == "outage.started":
        return StartOutage(data.outage_id)
    if name in ENDED:
        return EndOutage(data.outage_id, ENDED[name], getattr(data, "restored_at", None) or getattr(data, "cancelled_at", None))  # type: ignore[arg-type]
    raise TypeError(f"not an outage event intake follows: {name}")


def customer_from_record(tenant: str, record: Any) -> Customer:
    """A CustomerUpsertedV1 (or an imported CSV row with the same fields) as a registry entry."""
    return Customer(
        tenant=tenant, account_no=record.account_no, name=record.name, phone=record.phone, address=record.address,
        station_code=record.station_code, feeder_code=record.feeder_code, ta_code=record.ta_code,
        area_class=str(record.area_class), important=record.important, dedicated_transformer=record.dedicated_transformer,
        arrears_status=str(record.arrears_status),
    )


def upsert_command(record: Any) -> tuple[str, UpsertCustomer]:
    """The record's own unit decides where it lives (the tenant), and the command to store it there."""
    return record.unit_code, UpsertCustomer(customer_from_record(record.unit_code, record), record.updated_at)
