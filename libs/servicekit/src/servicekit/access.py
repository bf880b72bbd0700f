"""Who may do what, where: roles, the permission table, and the org-unit tree scope (权限)."""

from __future__ import annotations

from enum import StrEnum

from hotline_contracts.tenancy import is_within
from servicekit.auth import Principal
from servicekit.errors import AppError, forbidden


class Role(StrEnum):
    """岗位: the roles a token can carry."""

    AGENT = "agent"  # 客服代表
    SHIFT_LEADER = "shift_leader"  # 值班长
    CENTRE_DIRECTOR = "centre_director"  # 主任
    UNIT_STAFF = "unit_staff"  # 地市/县公司工作人员
    FIELD_CREW = "field_crew"  # 抢修人员
    SUPERVISION_CENTRE = "supervision_centre"  # 营销监控中心
    SYSTEM_MAINTAINER = "system_maintainer"  # 系统维护
    EXTERNAL_SYSTEM = "external_system"  # 外部系统服务账号


# Action → roles allowed. Scope (which tenants) is checked separately by `authorize`.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "ticket.create": frozenset({Role.AGENT, Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR, Role.EXTERNAL_SYSTEM}),
    "ticket.read": frozenset(
        {Role.AGENT, Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR, Role.UNIT_STAFF, Role.SUPERVISION_CENTRE, Role.FIELD_CREW}
    ),
    "ticket.update": frozenset({Role.AGENT, Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR, Role.UNIT_STAFF}),
    "ticket.urge": frozenset({Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR, Role.SUPERVISION_CENTRE}),
    "ticket.supervise": frozenset({Role.CENTRE_DIRECTOR, Role.SUPERVISION_CENTRE}),
    "crew.report": frozenset({Role.FIELD_CREW, Role.UNIT_STAFF, Role.EXTERNAL_SYSTEM}),
    "crew.manage": frozenset({Role.UNIT_STAFF, Role.SYSTEM_MAINTAINER}),
    "customer.read": frozenset({Role.AGENT, Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR, Role.UNIT_STAFF}),
    "customer.import": frozenset({Role.SYSTEM_MAINTAINER, Role.EXTERNAL_SYSTEM}),
    "knowledge.read": frozenset({Role.AGENT, Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR, Role.UNIT_STAFF}),
    "knowledge.write": frozenset({Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR}),
    "outage.report": frozenset({Role.UNIT_STAFF, Role.EXTERNAL_SYSTEM, Role.SHIFT_LEADER}),
    "outage.read": frozenset(
        {Role.AGENT, Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR, Role.UNIT_STAFF, Role.SUPERVISION_CENTRE, Role.EXTERNAL_SYSTEM}
    ),
    "rules.write": frozenset({Role.SYSTEM_MAINTAINER, Role.CENTRE_DIRECTOR}),
    "rules.read": frozenset({Role.SYSTEM_MAINTAINER, Role.CENTRE_DIRECTOR, Role.SHIFT_LEADER, Role.UNIT_STAFF}),
    "shift.handover": frozenset({Role.AGENT, Role.SHIFT_LEADER}),
    "report.read": frozenset({Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR, Role.UNIT_STAFF, Role.SUPERVISION_CENTRE}),
    "audit.read": frozenset({Role.CENTRE_DIRECTOR, Role.SUPERVISION_CENTRE, Role.SYSTEM_MAINTAINER}),
}


def not_in_scope() -> AppError:
    # 404, not 403: another tenant's ids must not be confirmed to exist.
    return AppError("资源不存在", "not found", code="not_found", status=404)


def authorize(principal: Principal, action: str, tenant: str) -> None:
    """Raise unless `principal` holds a role allowed `action` and `tenant` lies in its org-unit subtree."""
    allowed = PERMISSIONS.get(action)
    if allowed is None:
        raise ValueError(f"unknown action {action!r}: add it to PERMISSIONS")
    if not principal.roles.intersection(allowed):
        raise forbidden(code="role_required")
    if not is_within(tenant, principal.tenant):
        raise not_in_scope()


def readable_tenants(principal: Principal, hosted: list[str]) -> list[str]:
    """The hosted tenants a caller may read: its own unit and every descendant."""
    return [code for code in hosted if is_within(code, principal.tenant)]
