"""HTTP API of outage information: report, change, lifecycle steps, reads and the agent/IVR lookup."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable
from datetime import datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Query

from outage_notice import service
from outage_notice.answers import LookupQuery, lookup
from outage_notice.commands import CancelOutage, ChangeOutage, PublishOutage, ReportOutage, RestoreOutage, StartOutage
from outage_notice.deps import Deps
from outage_notice.domain.outage import Scope
from outage_notice.entrypoints.models import CancelBody, ChangeBody, LookupView, MatchView, OutageView, ReportBody, StepBody
from outage_notice.permissions import authorize, readable_tenants
from servicekit.audit import is_access_refusal
from servicekit.auth import Principal, current_principal
from servicekit.errors import AppError, FieldError, invalid
from servicekit.runtime import Runtime

T = TypeVar("T")
UnitParam = Query(default=None, pattern=r"^\d{2}(\d{2}(\d{2})?)?$", description="单位（缺省为令牌单位）; unit, default the caller's")


def actor(principal: Principal) -> str:
    return principal.subject if ":" in principal.subject else f"user:{principal.subject}"


def new_outage_id(tenant: str, now: datetime) -> str:
    return f"TD-{tenant}-{now:%Y%m%d}-{secrets.token_hex(3).upper()}"


def outage_router(runtime: Runtime, deps: Deps) -> APIRouter:
    router = APIRouter(prefix="/api/v1/outages", tags=["停电信息 outages"])

    async def audited(tenant: str, who: Principal, action: str, target: str, call: Awaitable[T], permission: str) -> T:
        """Authorise, run, and audit the outcome; access refusals are audited by the kit's error handler."""
        try:
            authorize(who, permission, tenant)
            result = await call
        except AppError as exc:
            if runtime.settings.hosts(tenant) and not is_access_refusal(exc):
                await runtime.audit.record(tenant, actor=who, action=action, target=target, result=exc.code)
            raise
        finally:
            if hasattr(call, "close"):
                call.close()  # never awaited when refused before the call
        await runtime.audit.record(tenant, actor=who, action=action, target=target, result="ok")
        return result

    @router.post("", status_code=201, summary="报送停电信息 / report an outage", response_model=OutageView)
    async def report(body: ReportBody, who: Principal = Depends(current_principal)) -> OutageView:
        tenant = body.unit or who.tenant
        outage_id = body.outage_id or new_outage_id(tenant, deps.clock.now())
        cmd = ReportOutage(
            outage_id=outage_id, outage_type=body.outage_type.value, scope=Scope.from_dict(body.scope.model_dump()),
            planned_start=body.planned_start, planned_end=body.planned_end, cause=body.cause,
            reporting_unit=body.reporting_unit or who.tenant, reported_by=actor(who), publish=body.publish,
        )
        outage = await audited(tenant, who, "outage.report", outage_id, service.report_outage(tenant, cmd, deps=deps), "outage.report")
        return OutageView.of(outage)

    @router.get("/lookup", summary="停电查询（坐席/IVR）/ lookup for agents and IVR", response_model=LookupView)
    async def find(
        account_no: str | None = Query(default=None, pattern=r"^\d{10}$", description="户号"),
        ta_code: str | None = Query(default=None, max_length=32, description="台区"),
        feeder_code: str | None = Query(default=None, max_length=32, description="线路"),
        station_code: str | None = Query(default=None, max_length=32, description="供电所"),
        area: str | None = Query(default=None, max_length=200, description="区域"),
        address: str | None = Query(default=None, max_length=200, description="地址"),
        at: datetime | None = Query(default=None, description="查询时刻，缺省为当前; time, default now"),
        unit: str | None = UnitParam,
        who: Principal = Depends(current_principal),
    ) -> LookupView:
        keys = [account_no, ta_code, feeder_code, station_code, area, address]
        if sum(k is not None for k in keys) != 1:
            raise invalid("请提供且仅提供一个查询条件", "give exactly one lookup key",
                          fields=[FieldError("query", "户号、台区、线路、供电所、区域、地址任选其一", "one of account_no, ta_code, feeder_code, station_code, area, address")])
        if at is not None and at.tzinfo is None:
            raise invalid("查询时刻须带时区", "at needs a time zone", fields=[FieldError("query.at", "须带时区", "needs a time zone")])
        tenants = [unit] if unit else readable_tenants(who, runtime.settings.hosted_tenants)
        for tenant in tenants:
            authorize(who, "outage.read", tenant)
        query = LookupQuery(account_no, ta_code, feeder_code, station_code, area, address, at)
        return lookup_view(await lookup(tenants, query, deps=deps))

    @router.get("", summary="停电信息列表 / list outages", response_model=list[OutageView])
    async def listing(state: str | None = None, limit: int = Query(default=100, ge=1, le=500), unit: str | None = UnitParam,
                      who: Principal = Depends(current_principal)) -> list[OutageView]:
        tenant = unit or who.tenant
        authorize(who, "outage.read", tenant)
        return [OutageView.of(o) for o in await deps.outages.listing(tenant, state=state, limit=limit)]

    @router.get("/late-reports", summary="迟报统计（按报送单位）/ late reports by unit")
    async def late_reports(unit: str | None = UnitParam, who: Principal = Depends(current_principal)) -> dict[str, Any]:
        tenant = unit or who.tenant
        authorize(who, "outage.read", tenant)
        return {"tenant": tenant, "late_by_unit": await deps.outages.late_counts(tenant)}

    @router.get("/{outage_id}", summary="停电信息及版本 / one outage with its versions", response_model=OutageView)
    async def read(outage_id: str, unit: str | None = UnitParam, who: Principal = Depends(current_principal)) -> OutageView:
        tenant = unit or who.tenant
        authorize(who, "outage.read", tenant)
        outage = await service.load(tenant, outage_id, deps)
        view = OutageView.of(outage, await deps.outages.revisions(tenant, outage_id))
        return view.model_copy(update={"linked_calls": await deps.calls.count(tenant, outage_id)})

    @router.patch("/{outage_id}", summary="变更/延长停电 / change or extend (reason required)", response_model=OutageView)
    async def change(outage_id: str, body: ChangeBody, unit: str | None = UnitParam, who: Principal = Depends(current_principal)) -> OutageView:
        tenant = unit or who.tenant
        call = service.change_outage(tenant, ChangeOutage(outage_id, body.values(), body.reason, actor(who)), deps=deps)
        return OutageView.of(await audited(tenant, who, "outage.change", outage_id, call, "outage.report"))

    @router.post("/{outage_id}/publish", summary="发布 / publish", response_model=OutageView)
    async def publish(outage_id: str, unit: str | None = UnitParam, who: Principal = Depends(current_principal)) -> OutageView:
        tenant = unit or who.tenant
        call = service.publish_outage(tenant, PublishOutage(outage_id, actor(who)), deps=deps)
        return OutageView.of(await audited(tenant, who, "outage.publish", outage_id, call, "outage.report"))

    @router.post("/{outage_id}/start", summary="停电开始 / power cut", response_model=OutageView)
    async def start(outage_id: str, body: StepBody | None = None, unit: str | None = UnitParam, who: Principal = Depends(current_principal)) -> OutageView:
        tenant, body = unit or who.tenant, body or StepBody()
        call = service.start_outage(tenant, StartOutage(outage_id, actor(who), body.at), deps=deps)
        return OutageView.of(await audited(tenant, who, "outage.start", outage_id, call, "outage.report"))

    @router.post("/{outage_id}/restore", summary="送电 / power restored", response_model=OutageView)
    async def restore(outage_id: str, body: StepBody | None = None, unit: str | None = UnitParam, who: Principal = Depends(current_principal)) -> OutageView:
        tenant, body = unit or who.tenant, body or StepBody()
        call = service.restore_outage(tenant, RestoreOutage(outage_id, actor(who), body.at, body.remark), deps=deps)
        return OutageView.of(await audited(tenant, who, "outage.restore", outage_id, call, "outage.report"))

    @router.post("/{outage_id}/cancel", summary="取消停电 / cancel", response_model=OutageView)
    async def cancel(outage_id: str, body: CancelBody, unit: str | None = UnitParam, who: Principal = Depends(current_principal)) -> OutageView:
        tenant = unit or who.tenant
        call = service.cancel_outage(tenant, CancelOutage(outage_id, actor(who), body.reason), deps=deps)
        return OutageView.of(await audited(tenant, who, "outage.cancel", outage_id, call, "outage.report"))

    return router


def lookup_view(result: Any) -> LookupView:
    matches = [
        MatchView(
            tenant=tenant, outage_id=m.outage.outage_id, status=m.status, outage_type=m.outage.outage_type, cause=m.outage.cause,
            planned_start=m.outage.planned_start, expected_restoration=m.outage.planned_end, area=m.outage.scope.area,
            script_zh=m.script_zh, script_en=m.script_en,
        )
        for tenant, m in result.matches
    ]
    if not matches:
        return LookupView(
            known=False, at=result.at, cause=None, expected_restoration=None, matches=[],
            script_zh="您好，目前系统中没有您所在区域的停电信息，我们将为您登记故障报修。",
            script_en="No outage is known for this location; a fault repair will be registered.",
        )
    first = matches[0]
    return LookupView(known=True, at=result.at, cause=first.cause, expected_restoration=first.expected_restoration,
                      script_zh=first.script_zh, script_en=first.script_en, matches=matches)
