"""Which tenant a contact belongs to (责任单位): the named unit, the account's or phone's company, else the caller's."""

from __future__ import annotations

import asyncio

from intake.permissions import readable_tenants
from intake.ports import CustomerDirectory
from servicekit.auth import Principal
from servicekit.errors import FieldError, invalid

_ROUTE_CACHE_MAX = 200_000


class TenantRouting:
    """The hosted tenants a caller reads, and the tenant a contact goes to (account → tenant kept in memory)."""

    def __init__(self, customers: CustomerDirectory, hosted: list[str]) -> None:
        self.customers = customers
        self.hosted = hosted
        self._routes: dict[str, str] = {}

    def readable(self, principal: Principal) -> list[str]:
        return readable_tenants(principal, self.hosted)

    async def tenant_for(self, principal: Principal, *, unit: str | None, account_no: str | None, phone: str | None) -> str:
        """The tenant that owns the contact: named unit, else the account's or phone's company, else the caller's own."""
        if unit:
            return unit
        if account_no:
            tenant = await self._account_tenant(principal, account_no)
            if tenant:
                return tenant
            raise invalid("户号不存在或不在您的管辖范围", "account not found in your scope", fields=[FieldError("body.account_no", "户号不存在", "unknown account")])
        if phone:
            found = await asyncio.gather(*(self.customers.by_phone(t, phone) for t in self.readable(principal)))
            tenants = {c.tenant for group in found for c in group}
            if len(tenants) == 1:
                return tenants.pop()
        if principal.tenant in self.hosted:
            return principal.tenant
        raise invalid("无法确定责任单位，请提供户号或责任单位", "cannot tell the responsible unit: give an account number or unit",
                      fields=[FieldError("body.unit", "请提供责任单位", "unit is required")])

    async def _account_tenant(self, principal: Principal, account_no: str) -> str | None:
        tenant = self._routes.get(account_no) or await self.customers.route(account_no)
        if tenant is None:
            readable = self.readable(principal)
            found = await asyncio.gather(*(self.customers.by_account(t, account_no) for t in readable))
            tenant = next((t for t, c in zip(readable, found, strict=True) if c is not None), None)
        if tenant is not None:
            if len(self._routes) > _ROUTE_CACHE_MAX:
                self._routes.clear()
            self._routes[account_no] = tenant
        return tenant
