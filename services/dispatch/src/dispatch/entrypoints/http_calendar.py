"""HTTP API of the holiday schedule (放假安排) and of an order's time limits (工单时限).

`/api/v1/calendar/...` reads and loads the tenant's State Council schedule (JSON per year, or a CSV
file); `/api/v1/work-orders/{id}/clocks` shows an order's clocks with their due times. Reads need
`rules.read` / `ticket.read`, loads `rules.write`; the rule store validates and audits every save.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from dispatch import calendar_admin
from dispatch.deps import Deps
from dispatch.entrypoints.http import OrderAccess
from dispatch.permissions import authorize
from servicekit.auth import Principal, current_principal
from servicekit.runtime import Runtime

CSV_EXAMPLE = "date,kind\n2027-02-05,off\n2027-02-14,work\n"
TENANT = Query(default=None, examples=["370102"], pattern=r"^\d{2}(\d{2}(\d{2})?)?$")


class YearBody(BaseModel):
    """一年的放假安排: official days off, make-up weekend workdays, and whether it is the State Council notice."""

    model_config = ConfigDict(extra="forbid")

    confirmed: bool = Field(description="是否为国务院正式安排; the State Council notice (false: a projection)")
    source: str = Field(default="", max_length=300, examples=["国办发明电〔2026〕X号"])
    days_off: list[str] = Field(default_factory=list, max_length=366, examples=[["2027-02-05", "2027-02-08"]])
    workdays: list[str] = Field(default_factory=list, max_length=366, examples=[["2027-02-14"]])


def router(runtime: Runtime, deps: Deps) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["工作日历与时限 calendar and time limits"])
    access = OrderAccess(runtime, deps)

    @api.get("/calendar/years", summary="查询各年放假安排 / the holiday schedule by year")
    async def read_years(tenant: str | None = TENANT, principal: Principal = Depends(current_principal)) -> list[dict[str, Any]]:
        tenant = tenant or principal.tenant
        authorize(principal, "rules.read", tenant)
        return await calendar_admin.years(tenant, deps=deps)

    @api.put("/calendar/years/{year}", summary="载入一年的放假安排 / load one year's State Council schedule")
    async def put_year(body: YearBody, year: int = Path(ge=2000, le=2100), tenant: str | None = TENANT,
                       principal: Principal = Depends(current_principal)) -> list[dict[str, Any]]:
        tenant = tenant or principal.tenant
        authorize(principal, "rules.write", tenant)
        return await calendar_admin.save_years(tenant, [{"year": year, **body.model_dump()}], by=principal, deps=deps)

    @api.post("/calendar/import", summary="导入放假安排文件（CSV: date,kind） / import a schedule file",
              openapi_extra={"requestBody": {"content": {"text/csv": {"example": CSV_EXAMPLE}}}})
    async def import_file(text: str = Body(media_type="text/csv", examples=[CSV_EXAMPLE]), tenant: str | None = TENANT,
                          confirmed: bool = Query(default=True, description="文件为国务院正式安排; the file is the notice"),
                          source: str = Query(default="imported file", max_length=300),
                          principal: Principal = Depends(current_principal)) -> list[dict[str, Any]]:
        tenant = tenant or principal.tenant
        authorize(principal, "rules.write", tenant)
        rows = calendar_admin.rows_from_csv(text, confirmed=confirmed, source=source)
        return await calendar_admin.save_years(tenant, rows, by=principal, deps=deps)

    @api.get("/calendar/due", summary="按工作日计算到期时间 / due time after N working days")
    async def due(start: AwareDatetime, working_days: float = Query(gt=0, le=366), tenant: str | None = TENANT,
                  principal: Principal = Depends(current_principal)) -> dict[str, Any]:
        tenant = tenant or principal.tenant
        authorize(principal, "rules.read", tenant)
        return await calendar_admin.due_after(tenant, start, working_days, deps=deps)

    @api.get("/work-orders/{ticket_id}/clocks", summary="工单时限与到期时间 / an order's clocks and due times")
    async def clocks(ticket_id: str, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
        tenant = await access.locate(principal, ticket_id)
        authorize(principal, "ticket.read", tenant)
        return await calendar_admin.order_clocks(tenant, ticket_id, deps=deps)

    return api

