"""Return-visit endpoints (回访接口): the due list (masked) and recording a result."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from hotline_contracts.events.common import ReturnVisitResult
from hotline_contracts.events.survey import VisitMethod
from hotline_contracts.tenancy import TENANT_CODE_PATTERN, is_within
from servicekit.audit import AuditLog
from servicekit.auth import Principal, current_principal
from servicekit.errors import AppError, not_found
from servicekit.masking import mask_text
from survey.commands import RecordResult
from survey.deps import Deps
from survey.domain.model import ReturnVisit
from survey.permissions import authorize, readable_tenants
from survey.service import record_result

STATES = {"due": "scheduled", "completed": "completed", "all": None}


class VisitView(BaseModel):
    """回访任务 as a list shows it: free text masked."""

    visit_id: str
    tenant: str
    ticket_id: str
    business_type: str
    responsible_unit: str
    state: str
    closed_at: datetime = Field(description="办理完毕（回单审核通过）时间; when 95598 passed the reply")
    due_at: datetime
    overdue: bool = Field(description="已超回访时限; past its due time and still open")
    result: str | None = None
    comment: str | None = None
    reopen_requested: bool = False

    model_config = {"json_schema_extra": {"examples": [{
        "visit_id": "RV-370102-20261126-000123", "tenant": "370102", "ticket_id": "370102-20261126-000123",
        "business_type": "fault_repair", "responsible_unit": "370102", "state": "scheduled",
        "closed_at": "2026-11-26T15:00:00+08:00", "due_at": "2026-11-27T15:00:00+08:00", "overdue": False,
    }]}}


class VisitList(BaseModel):
    items: list[VisitView]


class ResultBody(BaseModel):
    """回访结果: satisfied 满意 / fairly_satisfied 基本满意 / unsatisfied 不满意 / unreachable 联系不上."""

    result: ReturnVisitResult = Field(examples=["satisfied"])
    method: VisitMethod = Field(default=VisitMethod.PHONE, examples=["phone"])
    attempts: int = Field(default=1, ge=1, le=20, examples=[1])
    comment: str | None = Field(default=None, min_length=1, max_length=200, examples=["客户表示抢修人员态度好，来得快"])


def _view(v: ReturnVisit, now: datetime) -> VisitView:
    return VisitView(
        visit_id=v.visit_id, tenant=v.tenant, ticket_id=v.ticket_id, business_type=v.business_type,
        responsible_unit=v.responsible_unit, state=v.state, closed_at=v.closed_at, due_at=v.due_at,
        overdue=v.state == "scheduled" and v.due_at < now, result=v.result,
        comment=mask_text(v.comment) if v.comment else None, reopen_requested=v.reopen_requested,
    )


def router(deps: Deps, audit: AuditLog) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["回访 return visits"])

    @api.get("/return-visits", summary="回访任务列表（脱敏）/ return visits, masked", response_model=VisitList)
    async def list_visits(
        state: Literal["due", "completed", "all"] = Query("due", description="due 待回访 / completed 已回访 / all"),
        unit: str | None = Query(None, pattern=TENANT_CODE_PATTERN, examples=["370102"], description="单位; defaults to the caller's"),
        limit: int = Query(100, ge=1, le=500),
        principal: Principal = Depends(current_principal),
    ) -> dict[str, Any]:
        unit = unit or principal.tenant
        authorize(principal, "survey.read", unit, what=("回访任务", "return visits"))
        tenants = [t for t in readable_tenants(principal, deps.hosted, "survey.read") if is_within(t, unit)]
        now, rows = deps.clock(), []
        for tenant in tenants:
            rows += await deps.visits.list(tenant, state=STATES[state], limit=limit)
        rows.sort(key=lambda v: v.due_at)
        return {"items": [_view(v, now) for v in rows[:limit]]}

    @api.post(
        "/return-visits/{visit_id}/result", summary="登记回访结果 / record a return visit's result", response_model=VisitView
    )
    async def post_result(
        body: ResultBody,
        visit_id: str = Path(min_length=1, max_length=64, examples=["RV-370102-20261126-000123"]),
        principal: Principal = Depends(current_principal),
    ) -> VisitView:
        authorize(principal, "survey.record", principal.tenant)  # a missing role is a 403 before any lookup
        tenant = await _find_tenant(deps, principal, visit_id)
        authorize(principal, "survey.record", tenant, what=("回访任务", "return visit"))
        cmd = RecordResult(visit_id=visit_id, result=str(body.result), by=principal.subject, method=str(body.method),
                           attempts=body.attempts, comment=body.comment)
        try:
            done = await record_result(tenant, cmd, deps=deps)
        except AppError as exc:
            await audit.record(tenant, actor=principal, action="survey.record", target=visit_id, result=exc.code)
            raise
        await audit.record(tenant, actor=principal, action="survey.record", target=visit_id, result="ok",
                           detail={"result": done.result, "reopen_requested": done.reopen_requested})
        return _view(done, deps.clock())

    return api


async def _find_tenant(deps: Deps, principal: Principal, visit_id: str) -> str:
    """The hosted tenant holding the visit among those the caller may read; otherwise the same 404 as a missing one."""
    for tenant in readable_tenants(principal, deps.hosted, "survey.read"):
        if await deps.visits.get(tenant, visit_id) is not None:
            return tenant
    raise not_found("回访任务", "return visit")
