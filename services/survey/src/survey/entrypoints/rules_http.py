"""Return-visit rule table over HTTP (回访时限规则): read the effective version, save a new one (validated)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel, Field

from hotline_contracts.tenancy import TENANT_CODE_PATTERN
from servicekit.auth import Principal, current_principal
from servicekit.errors import not_found
from survey.deps import Deps
from survey.domain.model import RETURN_VISIT, RuleTable
from survey.permissions import authorize

_ROWS = [{"business_type": "fault_repair", "delay_hours": 24}, {"business_type": "complaint", "working_days": 1},
         {"business_type": "*", "delay_hours": 24}]


class RuleRow(BaseModel):
    business_type: str = Field(min_length=1, max_length=32, examples=["fault_repair"])
    delay_hours: float | None = Field(default=None, examples=[24])
    working_days: int | None = Field(default=None, examples=[None])
    skip: bool = False


class RuleTableBody(BaseModel):
    effective_from: AwareDatetime | None = Field(default=None, description="默认立即生效; defaults to now")
    rows: list[RuleRow]

    model_config = {"json_schema_extra": {"examples": [{"rows": _ROWS}]}}


class RuleTableView(BaseModel):
    tenant: str
    version: int
    effective_from: datetime
    effective_to: datetime | None
    rows: list[RuleRow]

    model_config = {"json_schema_extra": {"examples": [{
        "tenant": "370102", "version": 1, "effective_from": "2020-01-01T00:00:00+08:00", "effective_to": None, "rows": _ROWS}]}}


def _view(t: RuleTable) -> dict[str, Any]:
    rows = [{"business_type": r.business_type, "delay_hours": r.delay_hours, "working_days": r.working_days, "skip": r.skip}
            for r in t.rows]
    return {"tenant": t.tenant, "version": t.version, "effective_from": t.effective_from, "effective_to": t.effective_to, "rows": rows}


def router(deps: Deps) -> APIRouter:
    api = APIRouter(prefix="/api/v1/rules", tags=["规则 rules"])
    unit_q = Query(pattern=TENANT_CODE_PATTERN, examples=["370102"])

    @api.get("/return-visit", summary="当前回访时限规则 / the effective return-visit rules", response_model=RuleTableView)
    async def read(unit: str = unit_q, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
        authorize(principal, "rules.read", unit)
        if unit not in deps.hosted:
            raise not_found("回访规则", "return-visit rules")
        return _view(RuleTable.of(await deps.rules.active_version(unit, RETURN_VISIT, deps.clock())))

    @api.put("/return-visit", summary="保存新版本回访时限规则 / save a new version", response_model=RuleTableView)
    async def save(body: RuleTableBody, unit: str = unit_q, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
        authorize(principal, "rules.write", unit)
        if unit not in deps.hosted:
            raise not_found("回访规则", "return-visit rules")
        # Checked (parse_rows), refused field by field and audited by the store (servicekit.rules).
        saved = await deps.rules.save(unit, RETURN_VISIT, [r.model_dump() for r in body.rows],
                                      effective_from=body.effective_from or deps.clock(), by=principal)
        return _view(RuleTable.of(saved))

    return api
