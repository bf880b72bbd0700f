"""HTTP API of rule tables (规则) and shift handovers (交接班)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from dispatch import handovers
from dispatch.commands import BuildHandover, ConfirmHandover
from dispatch.deps import Deps
from dispatch.domain.rules import TABLES
from dispatch.entrypoints import schemas as s
from dispatch.entrypoints.http import actor_of
from dispatch.permissions import authorize, readable_tenants
from servicekit.auth import Principal, current_principal
from servicekit.errors import AppError, not_found
from servicekit.runtime import Runtime


def _table(name: str) -> str:
    if name not in TABLES:
        raise not_found("规则表", "rule table")
    return name


def router(runtime: Runtime, deps: Deps) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["规则与交接班 rules and handover"])

    async def audited(principal: Principal, tenant: str, action: str, target: str, call) -> Any:
        try:
            result = await call()
        except AppError as exc:
            if tenant in runtime.settings.hosted_tenants:
                await runtime.audit.record(tenant, actor=principal, action=action, target=target, result=exc.code)
            raise
        await runtime.audit.record(tenant, actor=principal, action=action, target=target, result="ok")
        return result

    @api.get("/rules/{name}", summary="查询生效规则表 / the rule table in force")
    async def read_rules(name: str, tenant: str | None = Query(default=None, examples=["370102"]),
                         principal: Principal = Depends(current_principal)) -> dict[str, Any]:
        tenant = tenant or principal.tenant
        authorize(principal, "rules.read", tenant)
        return await deps.rules.active_version(tenant, _table(name), deps.clock())

    @api.put("/rules/{name}", summary="保存新版本规则表（校验后生效） / save a new, validated version")
    async def save_rules(name: str, body: s.RulesBody, tenant: str | None = Query(default=None, examples=["370102"]),
                         principal: Principal = Depends(current_principal)) -> dict[str, Any]:
        tenant = tenant or principal.tenant
        authorize(principal, "rules.write", tenant)
        # Validated per table and audited by the store (servicekit.rules).
        return await deps.rules.save(tenant, _table(name), body.rows, effective_from=body.effective_from, by=principal)

    @api.post("/shifts/handovers", status_code=201, summary="生成交接班记录 / build a handover record")
    async def create_handover(body: s.HandoverBody, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
        centre = principal.tenant
        authorize(principal, "shift.handover", centre)
        scope = readable_tenants(principal, runtime.settings.hosted_tenants)

        async def call() -> dict[str, Any]:
            cmd = BuildHandover(leaving_shift=body.leaving_shift, arriving_shift=body.arriving_shift, agents=tuple(body.agents),
                                important_matters=body.important_matters, actor=actor_of(principal), scope=tuple(scope))
            return await handovers.build(centre, cmd, deps=deps)

        return _public(await audited(principal, centre, "handover.create", body.leaving_shift, call))

    @api.post("/shifts/handovers/{handover_id}/confirm", summary="交接确认 / confirm one side of a handover")
    async def confirm(handover_id: str, body: s.ConfirmBody, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
        authorize(principal, "shift.handover", principal.tenant)

        async def call() -> dict[str, Any]:
            cmd = ConfirmHandover(handover_id=handover_id, side=body.side, actor=actor_of(principal),
                                  comments=tuple(body.comments), checks=tuple(c.model_dump() for c in body.checks))
            return await handovers.confirm(principal.tenant, cmd, deps=deps)

        return _public(await audited(principal, principal.tenant, f"handover.confirm_{body.side}", handover_id, call))

    @api.get("/shifts/handovers/{handover_id}", summary="查询交接班记录 / read a handover record")
    async def read_handover(handover_id: str, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
        authorize(principal, "shift.handover", principal.tenant)
        record = await deps.handovers.get(principal.tenant, handover_id)
        if record is None:
            raise not_found("交接班记录", "handover record")
        return _public(record)

    return api


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "_id"}
