"""HTTP API of work orders: read with history, act on them, urge and supervise (工单操作).

Each route checks the caller, builds the typed command from the body and calls the use case.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from dispatch import commands as c
from dispatch import timing
from dispatch.deps import Deps
from dispatch.domain.transitions import allowed_actions
from dispatch.entrypoints import schemas as s
from dispatch.entrypoints.http_loop import add_contact_route, check_transfer_target
from dispatch.permissions import authorize, readable_tenants
from dispatch.service import act
from servicekit.auth import Principal, current_principal
from servicekit.errors import AppError, not_found
from servicekit.runtime import Runtime

# Action → (permission, body model). Crew steps are the field crew's; the rest are the unit's or 95598's.
ACTIONS: dict[str, tuple[str, type[BaseModel]]] = {
    "accept": ("crew.report", s.CrewStepBody), "depart": ("crew.report", s.CrewStepBody),
    "arrive": ("crew.report", s.CrewStepBody), "complete": ("crew.report", s.CompleteBody),
    "reply": ("ticket.update", s.ReplyBody), "audit": ("ticket.audit", s.AuditBody),
    "return": ("ticket.update", s.ReturnBody), "transfer": ("ticket.update", s.TransferBody),
    "suspend": ("ticket.update", s.SuspendBody), "resume": ("ticket.update", s.ReasonBody),
    "reopen": ("ticket.close", s.ReopenBody), "close": ("ticket.close", s.CloseBody),
    "return_visit": ("ticket.close", s.ReasonBody), "archive": ("ticket.close", s.ReasonBody),
    "reassign": ("crew.manage", s.ReassignBody),
}


def actor_of(principal: Principal) -> str:
    return principal.subject if ":" in principal.subject else f"{principal.kind}:{principal.subject}"[:64]


def to_command(action: str, ticket_id: str, body: BaseModel, actor: str) -> c.OrderAction:
    """The typed command of `action` from its body: the body's fields, plus the reply as stored for complete/reply."""
    data = body.model_dump(mode="python")
    cls = c.ORDER_ACTIONS[action]
    if cls is c.Complete:
        data = {"crew_code": data.get("crew_code"), "reply": {"kind": "repair", "handler": actor} | body.model_dump(mode="json")}
    elif cls is c.Reply:
        data = {"reply": {"kind": "reply", "by": actor} | body.model_dump(mode="json")}
    elif cls is c.AuditReply:
        data = {"reasons": tuple(data["reasons"])}
    return cls(ticket_id=ticket_id, actor=actor, **{k: v.value if isinstance(v, Enum) else v for k, v in data.items()})


def order_view(order: Any) -> dict[str, Any]:
    view = dataclasses.asdict(order)
    view["state"] = order.state.value
    view["allowed_actions"] = allowed_actions(order.state)
    return view


class OrderAccess:
    """Finds an order among the tenants the caller may see, authorises, and audits the attempt."""

    def __init__(self, runtime: Runtime, deps: Deps) -> None:
        self.runtime, self.deps = runtime, deps

    async def locate(self, principal: Principal, ticket_id: str) -> str:
        tenants = readable_tenants(principal, self.runtime.settings.hosted_tenants)
        # Ticket ids start with the owning tenant's code: ask that database first.
        tenants.sort(key=lambda t: (not ticket_id.startswith(f"{t}-"), -len(t)))
        for tenant in tenants:
            if await self.deps.orders.get(tenant, ticket_id) is not None:
                return tenant
        raise not_found("工单", "work order")

    async def run(self, principal: Principal, permission: str, ticket_id: str, action: str,
                  call: Callable[[str], Awaitable[Any]]) -> Any:
        tenant = None
        try:
            tenant = await self.locate(principal, ticket_id)
            authorize(principal, permission, tenant)
            result = await call(tenant)
        except AppError as exc:
            await self._audit(tenant, principal, action, ticket_id, exc.code)
            raise
        await self._audit(tenant, principal, action, ticket_id, "ok")
        return result

    async def _audit(self, tenant: str | None, principal: Principal, action: str, target: str, result: str) -> None:
        hosted = self.runtime.settings.hosted_tenants
        where = tenant if tenant in hosted else (principal.tenant if principal.tenant in hosted else None)
        if where is not None:
            await self.runtime.audit.record(where, actor=principal, action=f"work_order.{action}", target=target, result=result)


def router(runtime: Runtime, deps: Deps) -> APIRouter:
    api = APIRouter(prefix="/api/v1/work-orders", tags=["工单 work orders"])
    access = OrderAccess(runtime, deps)

    @api.get("/{ticket_id}", summary="查询工单（含流转记录） / read a work order with its history")
    async def read(ticket_id: str, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
        tenant = await access.locate(principal, ticket_id)
        authorize(principal, "ticket.read", tenant)
        return order_view(await deps.orders.get(tenant, ticket_id))

    for action, (permission, model) in ACTIONS.items():
        _add_action(api, access, deps, action, permission, model)
    add_contact_route(api, access, deps, actor_of=actor_of, order_view=order_view)

    @api.post("/{ticket_id}/urge", summary="人工催办 / urge the owning unit")
    async def urge(ticket_id: str, body: s.UrgeBody, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
        async def call(tenant: str) -> Any:
            return await timing.urge(tenant, c.Urge(ticket_id=ticket_id, actor=actor_of(principal), reason=body.reason),
                                     deps=deps)

        return order_view(await access.run(principal, "ticket.urge", ticket_id, "urge", call))

    @api.post("/{ticket_id}/supervise", summary="督办 / raise supervision above the owning unit")
    async def supervise(ticket_id: str, body: s.UrgeBody, principal: Principal = Depends(current_principal)) -> dict[str, str]:
        async def call(tenant: str) -> str:
            cmd = c.Supervise(ticket_id=ticket_id, actor=actor_of(principal), actor_unit=principal.tenant, reason=body.reason)
            return await timing.supervise(tenant, cmd, deps=deps)

        return {"raised_at_unit": await access.run(principal, "ticket.supervise", ticket_id, "supervise", call)}

    return api


def _add_action(api: APIRouter, access: OrderAccess, deps: Deps, action: str, permission: str, model: type[BaseModel]) -> None:
    async def endpoint(ticket_id: str, body: model, principal: Principal = Depends(current_principal)) -> dict[str, Any]:  # type: ignore[valid-type]
        cmd = to_command(action, ticket_id, body, actor_of(principal))
        if isinstance(cmd, c.Transfer):
            check_transfer_target(principal, cmd.to_unit, access.runtime.settings.hosted_tenants)

        async def call(tenant: str) -> Any:
            return await act(tenant, cmd, deps=deps)

        return order_view(await access.run(principal, permission, ticket_id, action, call))

    # Annotations are strings under postponed evaluation; give FastAPI the real body model.
    endpoint.__annotations__ = {"ticket_id": str, "body": model, "principal": Principal, "return": dict[str, Any]}
    endpoint.__name__ = f"work_order_{action}"
    path = "return-visit" if action == "return_visit" else action
    api.post(f"/{{ticket_id}}/{path}", summary=f"{action} / 工单操作（非法状态流转返回409）")(endpoint)
