"""Intake's actions and who may do them (受理权限): orders, the customer register, knowledge, rules.

Registered with the kit by `create_app` (`create_http_app(permissions=PERMISSIONS)`); the union of
every service's table is docs/PERMISSIONS.md.
"""

from __future__ import annotations

from servicekit.access import CENTRE_ROLES, Permissions, Reach, Role

PERMISSIONS = Permissions(
    "intake",
    {
        "ticket.create": CENTRE_ROLES | {Role.EXTERNAL_SYSTEM},
        "ticket.read": CENTRE_ROLES | {Role.UNIT_STAFF, Role.SUPERVISION_CENTRE, Role.FIELD_CREW},
        "customer.read": CENTRE_ROLES | {Role.UNIT_STAFF},
        "customer.import": {Role.SYSTEM_MAINTAINER, Role.EXTERNAL_SYSTEM},
        "knowledge.read": CENTRE_ROLES | {Role.UNIT_STAFF},
        "knowledge.write": {Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR},
        "rules.read": {Role.SYSTEM_MAINTAINER, Role.CENTRE_DIRECTOR, Role.SHIFT_LEADER, Role.UNIT_STAFF},
        "rules.write": {Role.SYSTEM_MAINTAINER, Role.CENTRE_DIRECTOR},
    },
    reach={
        "knowledge.write": Reach.OWN,  # 知识库: each unit edits its own knowledge base
    },
)

authorize = PERMISSIONS.authorize
readable_tenants = PERMISSIONS.readable_tenants
