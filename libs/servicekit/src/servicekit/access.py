"""Who may do what, where: roles, the permission table, and the org-unit tree scope (权限).

The table is data: `PERMISSIONS` (action → roles) and `REACH` (action → how far along the tree
it may go). docs/PERMISSIONS.md renders the same table for people; keep them in step.
"""

from __future__ import annotations

from enum import StrEnum

from hotline_contracts.tenancy import ancestors_of, is_within
from servicekit.auth import Principal
from servicekit.errors import AppError


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


class Reach(StrEnum):
    """How far along the org-unit tree an action may go from the caller's own unit (作用范围)."""

    SUBTREE = "subtree"  # own unit and its descendants (the default)
    OWN = "own"  # own unit only
    UP = "up"  # also the caller's ancestors: escalation, supervision requests, monthly reports
    DOWN = "down"  # issued at a unit for its whole subtree: province-wide directives, outage notices


_CENTRE = frozenset({Role.AGENT, Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR})

# Action → roles allowed. Scope (which tenants) is checked separately by `authorize`.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "ticket.create": _CENTRE | {Role.EXTERNAL_SYSTEM},
    "ticket.read": _CENTRE | {Role.UNIT_STAFF, Role.SUPERVISION_CENTRE, Role.FIELD_CREW},
    "ticket.update": _CENTRE | {Role.UNIT_STAFF},
    "ticket.urge": frozenset({Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR, Role.SUPERVISION_CENTRE}),
    "ticket.supervise": frozenset({Role.CENTRE_DIRECTOR, Role.SUPERVISION_CENTRE}),
    "ticket.escalate": _CENTRE | {Role.UNIT_STAFF},
    "supervision.request": frozenset({Role.UNIT_STAFF, Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR}),
    "crew.report": frozenset({Role.FIELD_CREW, Role.UNIT_STAFF, Role.EXTERNAL_SYSTEM}),
    "crew.manage": frozenset({Role.UNIT_STAFF, Role.SYSTEM_MAINTAINER}),
    "customer.read": _CENTRE | {Role.UNIT_STAFF},
    "customer.import": frozenset({Role.SYSTEM_MAINTAINER, Role.EXTERNAL_SYSTEM}),
    "knowledge.read": _CENTRE | {Role.UNIT_STAFF},
    "knowledge.write": frozenset({Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR}),
    "outage.report": frozenset({Role.UNIT_STAFF, Role.EXTERNAL_SYSTEM, Role.SHIFT_LEADER}),
    "outage.read": _CENTRE | {Role.UNIT_STAFF, Role.SUPERVISION_CENTRE, Role.EXTERNAL_SYSTEM},
    "outage.notice": frozenset({Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR, Role.UNIT_STAFF}),
    "directive.issue": frozenset({Role.CENTRE_DIRECTOR, Role.SUPERVISION_CENTRE}),
    "rules.write": frozenset({Role.SYSTEM_MAINTAINER, Role.CENTRE_DIRECTOR}),
    "rules.read": frozenset({Role.SYSTEM_MAINTAINER, Role.CENTRE_DIRECTOR, Role.SHIFT_LEADER, Role.UNIT_STAFF}),
    "shift.handover": frozenset({Role.AGENT, Role.SHIFT_LEADER}),
    "report.read": frozenset({Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR, Role.UNIT_STAFF, Role.SUPERVISION_CENTRE}),
    "report.export": frozenset({Role.CENTRE_DIRECTOR, Role.UNIT_STAFF, Role.SUPERVISION_CENTRE}),
    "report.submit": frozenset({Role.UNIT_STAFF, Role.CENTRE_DIRECTOR}),
    "audit.read": frozenset({Role.CENTRE_DIRECTOR, Role.SUPERVISION_CENTRE, Role.SYSTEM_MAINTAINER}),
    "survey.read": frozenset({Role.AGENT, Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR, Role.UNIT_STAFF}),
    "survey.record": frozenset({Role.AGENT, Role.SHIFT_LEADER}),
}

# The exceptions to "stay inside the caller's own subtree"; every other action is Reach.SUBTREE.
REACH: dict[str, Reach] = {
    "ticket.escalate": Reach.UP,  # 升级: a unit passes an order up to its city or the province
    "supervision.request": Reach.UP,  # 提请督办: ask the level above to supervise
    "report.submit": Reach.UP,  # 月报上报: monthly reports go to the parent company
    "directive.issue": Reach.DOWN,  # 全省通知: province-wide directives
    "outage.notice": Reach.DOWN,  # 停电通知: outage notices go to every affected unit below
    "shift.handover": Reach.OWN,  # 交接班: a shift belongs to one centre
    "knowledge.write": Reach.OWN,  # 知识库: each unit edits its own knowledge base
}

# Roles that never look below their own unit, whatever the action's reach.
OWN_UNIT_ROLES: frozenset[Role] = frozenset({Role.FIELD_CREW})


class AccessRefused(AppError):
    """An authorisation refusal (403 role, 404 scope); the HTTP shell writes it to the audit log."""

    action: str = ""
    tenant: str = ""


def _refusal(zh: str, en: str, code: str, status: int, action: str, tenant: str) -> AccessRefused:
    error = AccessRefused(zh, en, code=code, status=status)
    error.action, error.tenant = action, tenant
    return error


def not_in_scope(what: tuple[str, str] = ("资源", "resource"), *, action: str = "", tenant: str = "") -> AccessRefused:
    # 404, not 403, and the same words as a missing record: another tenant's ids are never confirmed.
    return _refusal(f"{what[0]}不存在", f"{what[1]} not found", "not_found", 404, action, tenant)


def effective_roles(principal: Principal) -> frozenset[str]:
    """Service accounts act only as external systems; a user token cannot claim the external-system role."""
    if principal.kind == "service":
        return principal.roles & {Role.EXTERNAL_SYSTEM}
    return principal.roles - {Role.EXTERNAL_SYSTEM}


def reach_of(action: str) -> Reach:
    return REACH.get(action, Reach.SUBTREE)


def in_reach(principal: Principal, granting: frozenset[str], action: str, tenant: str) -> bool:
    """True when `tenant` lies where `action` may go from the caller's unit, for the roles that grant it."""
    home = principal.tenant
    reach = reach_of(action)
    if reach is Reach.OWN or granting <= OWN_UNIT_ROLES:
        return tenant == home
    if is_within(tenant, home):
        return True
    return reach is Reach.UP and tenant in ancestors_of(home)


def authorize(principal: Principal, action: str, tenant: str, *, what: tuple[str, str] = ("资源", "resource")) -> None:
    """Raise unless `principal` holds a role allowed `action` and `tenant` lies within the action's reach.

    `what` names the thing for the 404 message, so a refusal reads exactly like a missing record.
    """
    allowed = PERMISSIONS.get(action)
    if allowed is None:
        raise ValueError(f"unknown action {action!r}: add it to PERMISSIONS")
    granting = effective_roles(principal) & allowed
    if not granting:
        raise _refusal("无权执行此操作", "not allowed", "role_required", 403, action, tenant)
    if principal.kind == "service" and not _service_may(principal, action):
        raise _refusal("无权执行此操作", "not allowed", "role_required", 403, action, tenant)
    if not in_reach(principal, frozenset(granting), action, tenant):
        raise not_in_scope(what, action=action, tenant=tenant)


def _service_may(principal: Principal, action: str) -> bool:
    # A service account may be narrowed further by an `actions` claim listing what it needs.
    listed = principal.claims.get("actions")
    return listed is None or (isinstance(listed, list) and action in listed)


def readable_tenants(principal: Principal, hosted: list[str], action: str | None = None) -> list[str]:
    """The hosted tenants a caller may read: its own unit and every descendant (only its own for field crews)."""
    if action is not None:
        granting = frozenset(effective_roles(principal) & PERMISSIONS.get(action, frozenset()))
        if not granting:
            return []
        return [code for code in hosted if in_reach(principal, granting, action, code)]
    return [code for code in hosted if is_within(code, principal.tenant)]
