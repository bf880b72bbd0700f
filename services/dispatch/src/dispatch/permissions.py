"""Dispatch's actions and who may do them (派工权限): work orders after acceptance, crews, shifts, rules.

Registered with the kit by `create_app` (`create_http_app(permissions=PERMISSIONS)`); the union of
every service's table is docs/PERMISSIONS.md.
"""

from __future__ import annotations

from servicekit.access import CENTRE_ROLES, Permissions, Reach, Role

PERMISSIONS = Permissions(
    "dispatch",
    {
        "ticket.read": CENTRE_ROLES | {Role.UNIT_STAFF, Role.SUPERVISION_CENTRE, Role.FIELD_CREW},
        "ticket.update": CENTRE_ROLES | {Role.UNIT_STAFF},
        # The unit replies; the 95598 centre audits, and closes, archives or reopens (never the unit that answered).
        "ticket.audit": CENTRE_ROLES,
        "ticket.close": CENTRE_ROLES,
        "ticket.urge": {Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR, Role.SUPERVISION_CENTRE},
        "ticket.supervise": {Role.CENTRE_DIRECTOR, Role.SUPERVISION_CENTRE},
        "ticket.escalate": CENTRE_ROLES | {Role.UNIT_STAFF},
        "supervision.request": {Role.UNIT_STAFF, Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR},
        "directive.issue": {Role.CENTRE_DIRECTOR, Role.SUPERVISION_CENTRE},
        "crew.report": {Role.FIELD_CREW, Role.UNIT_STAFF, Role.EXTERNAL_SYSTEM},
        "crew.manage": {Role.UNIT_STAFF, Role.SYSTEM_MAINTAINER},
        "shift.handover": {Role.AGENT, Role.SHIFT_LEADER},
        "rules.read": {Role.SYSTEM_MAINTAINER, Role.CENTRE_DIRECTOR, Role.SHIFT_LEADER, Role.UNIT_STAFF},
        "rules.write": {Role.SYSTEM_MAINTAINER, Role.CENTRE_DIRECTOR},
    },
    reach={
        "ticket.escalate": Reach.UP,  # 升级: a unit passes an order up to its city or the province
        "supervision.request": Reach.UP,  # 提请督办: ask the level above to supervise
        "directive.issue": Reach.DOWN,  # 全省通知: province-wide directives
        "shift.handover": Reach.OWN,  # 交接班: a shift belongs to one centre
    },
)

authorize = PERMISSIONS.authorize
readable_tenants = PERMISSIONS.readable_tenants
