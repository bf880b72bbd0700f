"""停电信息公告: the public JSON feed and plain HTML page of current and upcoming outages (no auth, no customer data)."""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse

from outage_notice.deps import Deps
from outage_notice.domain.lookup import TYPE_ZH, status_at
from outage_notice.domain.outage import Outage
from servicekit.errors import AppError
from servicekit.runtime import Runtime

TenantPath = Path(pattern=r"^\d{2}(\d{2}(\d{2})?)?$", description="单位代码 / tenant code")
STATUS_ZH = {"active": "正在停电", "upcoming": "即将停电"}


def public_router(runtime: Runtime, deps: Deps) -> APIRouter:
    router = APIRouter(prefix="/public", tags=["停电公告 public notice"])

    async def notices(tenant: str) -> list[tuple[str, Outage]]:
        if not runtime.settings.hosts(tenant):
            raise AppError("租户不存在", "tenant not found", code="tenant_not_hosted", status=404)
        now = deps.clock.now()
        found = [(status_at(o, now), o) for o in await deps.index.current(tenant)]
        return sorted(((s, o) for s, o in found if s), key=lambda p: (p[0] != "active", p[1].planned_start))

    @router.get("/{tenant}/outages.json", summary="停电公告（JSON）/ public outage feed")
    async def feed(tenant: str = TenantPath) -> dict[str, Any]:
        return {"tenant": tenant, "generated_at": deps.clock.now(), "outages": [_public(s, o) for s, o in await notices(tenant)]}

    @router.get("/{tenant}/outages.html", summary="停电公告（网页）/ public outage page", response_class=HTMLResponse)
    async def page(tenant: str = TenantPath) -> HTMLResponse:
        return HTMLResponse(_html(tenant, await notices(tenant), deps))

    return router


def _public(status: str, o: Outage) -> dict[str, Any]:
    """Only what a public notice says: no accounts, names, phones or addresses of customers."""
    return {
        "outage_id": o.outage_id, "status": status, "status_zh": STATUS_ZH[status], "outage_type": o.outage_type,
        "outage_type_zh": TYPE_ZH.get(o.outage_type, ""), "area": o.scope.area, "feeder_codes": list(o.scope.feeder_codes),
        "cause": o.cause, "planned_start": o.planned_start, "planned_end": o.planned_end, "version": o.version,
    }


def _html(tenant: str, rows: list[tuple[str, Outage]], deps: Deps) -> str:
    def when(value: Any) -> str:
        return value.astimezone(deps.tz).strftime("%Y-%m-%d %H:%M") if value else "待定"

    body = "".join(
        f"<tr><td>{STATUS_ZH[s]}</td><td>{escape(TYPE_ZH.get(o.outage_type, o.outage_type))}</td>"
        f"<td>{escape(o.scope.area or '、'.join(o.scope.feeder_codes + o.scope.station_codes))}</td>"
        f"<td>{when(o.planned_start)}</td><td>{when(o.planned_end)}</td><td>{escape(o.cause)}</td></tr>"
        for s, o in rows
    ) or '<tr><td colspan="6">目前没有停电信息</td></tr>'
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>停电信息公告</title></head><body>'
        f"<h1>停电信息公告（{escape(tenant)}）</h1><p>更新时间：{when(deps.clock.now())}</p>"
        "<table border=\"1\"><thead><tr><th>状态</th><th>类型</th><th>停电范围</th><th>停电时间</th><th>预计送电时间</th><th>原因</th></tr></thead>"
        f"<tbody>{body}</tbody></table></body></html>"
    )
