"""Outage-notice's actions and who may do them (停电信息权限): reports, reads, notices, rules.

Registered with the kit by `create_app` (`create_http_app(permissions=PERMISSIONS)`); the union of
every service's table is docs/PERMISSIONS.md.
"""

from __future__ import annotations

from servicekit.access import CENTRE_ROLES, Permissions, Reach, Role

PERMISSIONS = Permissions(
    "outage-notice",
    {
        "outage.report": {Role.UNIT_STAFF, Role.EXTERNAL_SYSTEM, Role.SHIFT_LEADER},
        "outage.read": CENTRE_ROLES | {Role.UNIT_STAFF, Role.SUPERVISION_CENTRE, Role.EXTERNAL_SYSTEM},
        "outage.notice": {Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR, Role.UNIT_STAFF},
        "rules.read": {Role.SYSTEM_MAINTAINER, Role.CENTRE_DIRECTOR, Role.SHIFT_LEADER, Role.UNIT_STAFF},
        "rules.write": {Role.SYSTEM_MAINTAINER, Role.CENTRE_DIRECTOR},
    },
    reach={
        "outage.notice": Reach.DOWN,  # 停电通知: outage notices go to every affected unit below
    },
)

authorize = PERMISSIONS.authorize
readable_tenants = PERMISSIONS.readable_tenants
