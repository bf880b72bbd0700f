"""Analytics use cases: count lifecycle events, summarise a unit's subtree, export it masked (统计报表)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from analytics.commands import CountFact, ExportOrders, SummariseUnit
from analytics.deps import Deps
from analytics.domain.aggregates import UNKNOWN_TYPE, Totals, csv_safe, days_between, mask_account, summarise
from analytics.domain.events import fact_for, increment_for
from analytics.permissions import authorize
from servicekit.auth import Principal
from servicekit.errors import FieldError, invalid, not_found
from servicekit.masking import mask_text
from servicekit.tenancy import OrgTree

EXPORT_COLUMNS = (
    "unit", "ticket_id", "business_type", "channel", "accepted_at", "account_no",
    "closed_at", "resolution", "within_time_limit", "summary",
)


async def count_fact(tenant: str, cmd: CountFact, *, deps: Deps) -> None:
    """Add one step of an order's life to its tenant's daily aggregates (the per-order fact first: it is idempotent)."""
    fact = fact_for(cmd)
    if fact is not None:
        await deps.store.upsert_fact(tenant, fact)
    business_type = cmd.business_type or await deps.store.business_type_of(tenant, cmd.ticket_id) or UNKNOWN_TYPE
    await deps.store.add(tenant, increment_for(cmd, business_type))


@dataclass(frozen=True)
class ReportQuery:
    """报表查询: a unit (its subtree is covered) and an inclusive range of local days."""

    unit: str
    start: date
    end: date


@dataclass(frozen=True)
class Scope:
    """Where reports may look: the org tree and the tenants this deployment hosts."""

    tree: OrgTree
    hosted: frozenset[str]
    max_days: int


def covered_tenants(principal: Principal, action: str, q: ReportQuery, scope: Scope) -> list[str]:
    """The hosted tenants at or below `q.unit`, after the scope check (outside it reads as not found)."""
    authorize(principal, action, q.unit, what=("单位", "unit"))
    if q.unit not in scope.tree:
        raise not_found("单位", "unit")
    if q.start > q.end:
        raise invalid("起始日期晚于结束日期", "from is after to", fields=[FieldError("query.from", "不能晚于结束日期", "must not be after to")])
    if days_between(q.start, q.end) > scope.max_days:
        zh, en = f"日期范围不能超过{scope.max_days}天", f"the range may cover at most {scope.max_days} days"
        raise invalid(zh, en, fields=[FieldError("query.to", zh, en)])
    return [code for code in scope.tree.within(q.unit) if code in scope.hosted]


async def scope_of(deps: Deps) -> Scope:
    return Scope(tree=await deps.tree.current(), hosted=frozenset(deps.hosted), max_days=deps.report_max_days)


async def unit_summary(unit: str, cmd: SummariseUnit, *, deps: Deps) -> dict[str, Any]:
    """A unit's totals over its subtree, with each unit's own figures and a split by business type."""
    q, scope = ReportQuery(unit, cmd.start, cmd.end), await scope_of(deps)
    tenants = covered_tenants(cmd.principal, "report.read", q, scope)
    rows = [row for code in tenants for row in await deps.store.rows(code, q.start.isoformat(), q.end.isoformat())]
    overall, by_unit, by_type = summarise(rows)
    return {
        "unit": q.unit,
        "name": scope.tree.name(q.unit),
        "from": q.start.isoformat(),
        "to": q.end.isoformat(),
        "totals": overall.as_dict(),
        "units": [
            {"unit": code, "name": scope.tree.name(code), "totals": by_unit[code].as_dict() if code in by_unit else _zero()}
            for code in tenants
        ],
        "business_types": {name: t.as_dict() for name, t in sorted(by_type.items())},
    }


def _zero() -> dict[str, Any]:
    return Totals().as_dict()


async def export_csv(unit: str, cmd: ExportOrders, *, deps: Deps) -> tuple[str, int]:
    """(CSV text, rows): every order accepted in range in the unit's subtree, account numbers and phones masked."""
    q, max_rows = ReportQuery(unit, cmd.start, cmd.end), deps.export_max_rows
    tenants = covered_tenants(cmd.principal, "report.export", q, await scope_of(deps))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    written = 0
    for code in tenants:
        for fact in await deps.store.facts(code, q.start.isoformat(), q.end.isoformat(), max_rows - written):
            writer.writerow([csv_safe(v) for v in _export_row(code, fact)])
            written += 1
    return "\ufeff" + out.getvalue(), written  # BOM: spreadsheets in China open UTF-8 correctly


def _export_row(tenant: str, fact: dict[str, Any]) -> list[Any]:
    return [
        tenant,
        fact.get("ticket_id"),
        fact.get("business_type"),
        fact.get("channel"),
        _iso(fact.get("accepted_at")),
        mask_account(fact.get("account_no")),
        _iso(fact.get("closed_at")),
        fact.get("resolution"),
        fact.get("within_time_limit"),
        mask_text(fact.get("summary") or ""),
    ]


def _iso(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else ("" if value is None else str(value))
