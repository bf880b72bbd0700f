"""HTTP pieces of the closed loop: recording the first contact (联系客户), and a transfer's target scope (转派范围)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends
from pydantic import AwareDatetime, Field

from dispatch.commands import RecordCustomerContact
from dispatch.contact import record_customer_contact
from dispatch.deps import Deps
from dispatch.entrypoints.schemas import Body
from dispatch.permissions import PERMISSIONS
from hotline_contracts.events.dispatch import ContactChannel
from servicekit.access import effective_roles
from servicekit.auth import Principal, current_principal
from servicekit.errors import FieldError, invalid

if TYPE_CHECKING:
    from dispatch.entrypoints.http import OrderAccess


class ContactBody(Body):
    """联系客户: when and how the customer was reached (now when `at` is not given)."""

    at: AwareDatetime | None = Field(default=None, description="联系时间（缺省为现在）; when the customer was reached")
    channel: ContactChannel = Field(default=ContactChannel.PHONE, examples=["phone"])
    note: str | None = Field(default=None, max_length=200, examples=["已电话联系客户致歉，约定次日上门核实"])


def check_transfer_target(principal: Principal, to_unit: str, hosted: list[str]) -> None:
    """转派: the target must be a unit this deployment knows and lie within the caller's reach for updates."""
    granting = frozenset(effective_roles(principal) & PERMISSIONS.roles_for("ticket.update"))
    if to_unit not in hosted:
        raise invalid("请求参数校验失败", "request validation failed", code="validation_failed", fields=[FieldError(
            "body.to_unit", f"未知单位 {to_unit}", f"unknown unit {to_unit}")])
    if granting and not PERMISSIONS.in_reach(principal, granting, "ticket.update", to_unit):
        raise invalid("请求参数校验失败", "request validation failed", code="validation_failed", fields=[FieldError(
            "body.to_unit", f"单位 {to_unit} 不在您的管辖范围内", f"unit {to_unit} is outside your scope")])


def add_contact_route(api: APIRouter, access: OrderAccess, deps: Deps, *, actor_of: Callable[[Principal], str],
                      order_view: Callable[[Any], dict[str, Any]]) -> None:
    @api.post("/{ticket_id}/customer-contacted", summary="记录联系客户（停止首次联系时限）/ record the first contact with the customer")
    async def customer_contacted(ticket_id: str, body: ContactBody, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
        cmd = RecordCustomerContact(ticket_id=ticket_id, actor=actor_of(principal), at=body.at, channel=body.channel.value,
                                    note=body.note)

        async def call(tenant: str) -> Any:
            return await record_customer_contact(tenant, cmd, deps=deps)

        return order_view(await access.run(principal, "ticket.update", ticket_id, "customer_contacted", call))
