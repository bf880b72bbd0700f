"""Domain outage → contract event payloads (the topology scope, cause and restoration time travel along)."""

from __future__ import annotations

from datetime import tzinfo

from hotline_contracts.events.outage import (
    OutageCancelledV1,
    OutagePublishedV1,
    OutageRestoredV1,
    OutageScope,
    OutageStartedV1,
    OutageUpdatedV1,
)
from outage_notice.domain.outage import Outage, Revision
from outage_notice.domain.texts import announcement

CONTRACT_FIELDS = ("scope", "planned_start", "planned_end", "cause", "affected_customers")


def scope_of(outage: Outage) -> OutageScope:
    return OutageScope(**outage.scope.as_dict())


def published(outage: Outage, by: str, tz: tzinfo) -> OutagePublishedV1:
    return OutagePublishedV1(
        outage_id=outage.outage_id, outage_type=outage.outage_type, scope=scope_of(outage),
        planned_start=outage.planned_start, planned_end=outage.planned_end, cause=outage.cause,
        reporting_unit=outage.reporting_unit, affected_customers=outage.affected_customers,
        important_customers=outage.important_customers, version=outage.version,
        notice_text=announcement(outage, tz), published_by=by, published_at=outage.published_at,
    )


def updated(outage: Outage, revision: Revision) -> OutageUpdatedV1:
    """Every changed field carries its new value; the scope and times are always sent for matching."""
    changed = [name for name in revision.changed if name in CONTRACT_FIELDS]
    if "scope" in changed:
        changed.append("affected_customers")
    return OutageUpdatedV1(
        outage_id=outage.outage_id, version=outage.version, changed_fields=changed,
        reason=revision.reason or "变更", scope=scope_of(outage), planned_start=outage.planned_start,
        planned_end=outage.planned_end, cause=outage.cause, affected_customers=outage.affected_customers,
        updated_by=revision.by, updated_at=revision.at,
    )


def started(outage: Outage, by: str) -> OutageStartedV1:
    return OutageStartedV1(
        outage_id=outage.outage_id, started_at=outage.started_at, reported_by=by,
        outage_type=outage.outage_type, scope=scope_of(outage), cause=outage.cause, planned_end=outage.planned_end,
    )


def restored(outage: Outage, by: str, remark: str | None) -> OutageRestoredV1:
    return OutageRestoredV1(outage_id=outage.outage_id, restored_at=outage.restored_at, reported_by=by, remark=remark)


def cancelled(outage: Outage, by: str, reason: str) -> OutageCancelledV1:
    return OutageCancelledV1(outage_id=outage.outage_id, reason=reason, cancelled_by=by, cancelled_at=outage.cancelled_at)
