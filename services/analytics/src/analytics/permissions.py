"""Analytics' actions and who may do them (报表与审计权限): reports, exports, monthly reports, the audit log.

Registered with the kit by `create_app` (`create_http_app(permissions=PERMISSIONS)`); the union of
every service's table is docs/PERMISSIONS.md.
"""

from __future__ import annotations

from servicekit.access import Permissions, Reach, Role

PERMISSIONS = Permissions(
    "analytics",
    {
        "report.read": {Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR, Role.UNIT_STAFF, Role.SUPERVISION_CENTRE},
        "report.export": {Role.CENTRE_DIRECTOR, Role.UNIT_STAFF, Role.SUPERVISION_CENTRE},
        "report.submit": {Role.UNIT_STAFF, Role.CENTRE_DIRECTOR},
        "audit.read": {Role.CENTRE_DIRECTOR, Role.SUPERVISION_CENTRE, Role.SYSTEM_MAINTAINER},
    },
    reach={
        "report.submit": Reach.UP,  # 月报上报: monthly reports go to the parent company
    },
)

authorize = PERMISSIONS.authorize
readable_tenants = PERMISSIONS.readable_tenants
