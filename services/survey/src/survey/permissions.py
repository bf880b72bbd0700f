"""Survey's actions and who may do them (回访权限): return visits and their rules.

Registered with the kit by `create_app` (`create_http_app(permissions=PERMISSIONS)`); the union of
every service's table is docs/PERMISSIONS.md.
"""

from __future__ import annotations

from servicekit.access import Permissions, Role

PERMISSIONS = Permissions(
    "survey",
    {
        "survey.read": {Role.AGENT, Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR, Role.UNIT_STAFF},
        "survey.record": {Role.AGENT, Role.SHIFT_LEADER},
        "rules.read": {Role.SYSTEM_MAINTAINER, Role.CENTRE_DIRECTOR, Role.SHIFT_LEADER, Role.UNIT_STAFF},
        "rules.write": {Role.SYSTEM_MAINTAINER, Role.CENTRE_DIRECTOR},
    },
)

authorize = PERMISSIONS.authorize
readable_tenants = PERMISSIONS.readable_tenants
