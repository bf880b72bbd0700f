"""Report endpoints: a unit's summary over its subtree, and its masked CSV export (统计报表接口)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from analytics.commands import ExportOrders, SummariseUnit
from analytics.deps import Deps
from analytics.service import export_csv, unit_summary
from hotline_contracts.tenancy import TENANT_CODE_PATTERN
from servicekit.audit import AuditLog, refusal_tenant
from servicekit.auth import Principal, current_principal

UNIT = Path(pattern=TENANT_CODE_PATTERN, examples=["3701"], description="单位代码; org-unit code")
FROM = Query(alias="from", examples=["2026-11-01"], description="起始日（含）; first local day")
TO = Query(alias="to", examples=["2026-11-30"], description="结束日（含）; last local day")

_TOTALS_EXAMPLE = {
    "created": 12, "closed": 10, "closed_within_limit": 9, "first_contact_resolved": 6, "reopened": 1,
    "repeat_contacts": 2, "linked_to_outage": 3, "channels": {"hotline": 10, "wechat": 2},
    "timeliness_rate": 0.9, "first_contact_resolution_rate": 0.6,
}


class UnitSummary(BaseModel):
    """单位统计: totals over the unit's subtree, each unit's own figures, and a split by business type."""

    unit: str
    name: str
    from_: str = Field(alias="from")
    to: str
    totals: dict[str, Any]
    units: list[dict[str, Any]]
    business_types: dict[str, dict[str, Any]]

    model_config = {
        "populate_by_name": True,
        "json_schema_extra": {
            "examples": [
                {
                    "unit": "3701", "name": "国网济南供电公司", "from": "2026-11-01", "to": "2026-11-30",
                    "totals": _TOTALS_EXAMPLE,
                    "units": [{"unit": "370102", "name": "国网济南市历下区供电公司", "totals": _TOTALS_EXAMPLE}],
                    "business_types": {"fault_repair": _TOTALS_EXAMPLE},
                }
            ]
        }
    }


def router(deps: Deps, audit: AuditLog) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["统计报表 reports"])

    @api.get("/units/{code}/summary", summary="单位及下级统计 / a unit's aggregates over its subtree", response_model=UnitSummary)
    async def summary(
        code: str = UNIT, start: date = FROM, end: date = TO, principal: Principal = Depends(current_principal)
    ) -> dict[str, Any]:
        return await unit_summary(code, SummariseUnit(principal, start, end), deps=deps)

    @api.get(
        "/units/{code}/export.csv",
        summary="导出工单明细（脱敏）/ export the subtree's orders as masked CSV",
        response_class=Response,
        responses={200: {"content": {"text/csv": {"example": "unit,ticket_id,...\r\n370102,370102-20261126-000123,..."}}}},
    )
    async def export(
        code: str = UNIT, start: date = FROM, end: date = TO, principal: Principal = Depends(current_principal)
    ) -> Response:
        text, rows = await export_csv(code, ExportOrders(principal, start, end), deps=deps)
        tenant = refusal_tenant(deps.hosted, code, principal.tenant)
        await audit.record(
            tenant, actor=principal, action="report.export", target=f"{code}:{start}..{end}", result="ok", detail={"rows": rows}
        )
        filename = f"tickets-{code}-{start}-{end}.csv"
        return Response(text, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    return api
