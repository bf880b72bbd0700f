"""Who may do what, where: roles, permission tables and the org-unit tree scope (权限).

The kit holds the mechanism only. Roles (`Role`) are platform vocabulary, shared by every
service; actions belong to the service that performs them. Each service declares its actions in
its own `permissions.py` as a `Permissions` table (action → roles, plus the actions whose reach is
not the default subtree) and hands it to `create_http_app(permissions=...)`. docs/PERMISSIONS.md
renders the union of the services' tables for people; a test keeps them in step.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
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


# The 95598 centre's own roles (客服中心), granted together by many actions.
CENTRE_ROLES: frozenset[Role] = frozenset({Role.AGENT, Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR})

# Roles that never look below their own unit, whatever the action's reach.
OWN_UNIT_ROLES: frozenset[Role] = frozenset({Role.FIELD_CREW})

ACTION_NAME = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")  # thing.verb, e.g. a service's `order.read`


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


def within_tree(principal: Principal, hosted: Iterable[str]) -> list[str]:
    """The hosted tenants at or below the caller's unit, whatever the action."""
    return [code for code in hosted if is_within(code, principal.tenant)]


class Permissions:
    """One service's permission table: its actions, the roles allowed each, and each action's reach.

    Checked when built (at import, so a broken table stops the service before it starts): every
    action is `thing.verb`, grants at least one known role, and every reach exception names a
    declared action. Authorising an action the table does not declare is a programming error and
    raises `ValueError`; `require` says the same at start-up for actions named in wiring.
    """

    def __init__(self, service: str, actions: Mapping[str, Iterable[Role]], *, reach: Mapping[str, Reach] | None = None) -> None:
        self.service = service
        self.actions: dict[str, frozenset[Role]] = {name: frozenset(roles) for name, roles in actions.items()}
        self.reach: dict[str, Reach] = dict(reach or {})
        problems = [f"{name!r} is not thing.verb" for name in self.actions if not ACTION_NAME.fullmatch(name)]
        problems += [f"{name!r} grants no role" for name, roles in self.actions.items() if not roles]
        problems += [f"{name!r} names unknown roles {sorted(set(roles) - set(Role))}"
                     for name, roles in self.actions.items() if not set(roles) <= set(Role)]
        problems += [f"reach of undeclared action {name!r}" for name in self.reach if name not in self.actions]
        problems += [f"{name!r} has no reach {value!r}" for name, value in self.reach.items() if value not in set(Reach)]
        if problems:
            raise ValueError(f"{service} permission table: " + "; ".join(problems))

    def __contains__(self, action: object) -> bool:
        return action in self.actions

    def __repr__(self) -> str:
        return f"Permissions({self.service!r}, {len(self.actions)} actions)"

    def require(self, *actions: str) -> None:
        """Raise unless every action is declared (call it where wiring names an action, so start-up fails)."""
        for action in actions:
            self.roles_for(action)

    def roles_for(self, action: str) -> frozenset[Role]:
        roles = self.actions.get(action)  # on every request: one look-up
        if roles is None:
            raise ValueError(f"unknown action {action!r}: declare it in {self.service}'s permissions table (permissions.py)")
        return roles

    def reach_of(self, action: str) -> Reach:
        return self.reach.get(action, Reach.SUBTREE)

    def in_reach(self, principal: Principal, granting: frozenset[str], action: str, tenant: str) -> bool:
        """True when `tenant` lies where `action` may go from the caller's unit, for the roles that grant it."""
        home = principal.tenant
        reach = self.reach_of(action)
        if reach is Reach.OWN or granting <= OWN_UNIT_ROLES:
            return tenant == home
        if is_within(tenant, home):
            return True
        return reach is Reach.UP and tenant in ancestors_of(home)

    def authorize(self, principal: Principal, action: str, tenant: str, *, what: tuple[str, str] = ("资源", "resource")) -> None:
        """Raise unless `principal` holds a role allowed `action` and `tenant` lies within the action's reach.

        `what` names the thing for the 404 message, so a refusal reads exactly like a missing record.
        """
        granting = effective_roles(principal) & self.roles_for(action)
        if not granting:
            raise _refusal("无权执行此操作", "not allowed", "role_required", 403, action, tenant)
        if principal.kind == "service" and not _service_may(principal, action):
            raise _refusal("无权执行此操作", "not allowed", "role_required", 403, action, tenant)
        if not self.in_reach(principal, frozenset(granting), action, tenant):
            raise not_in_scope(what, action=action, tenant=tenant)

    def readable_tenants(self, principal: Principal, hosted: list[str], action: str | None = None) -> list[str]:
        """The hosted tenants a caller may reach: with an action, where it reaches; without, the caller's subtree."""
        if action is None:
            return within_tree(principal, hosted)
        granting = frozenset(effective_roles(principal) & self.roles_for(action))
        if not granting:
            return []
        return [code for code in hosted if self.in_reach(principal, granting, action, code)]


def _service_may(principal: Principal, action: str) -> bool:
    # A service account may be narrowed further by an `actions` claim listing what it needs.
    listed = principal.claims.get("actions")
    return listed is None or (isinstance(listed, list) and action in listed)
