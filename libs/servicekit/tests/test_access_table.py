"""The permission mechanism: a service's table, who may do what, and how far along the org-unit tree.

The kit knows no service, so these tests use a table of their own (`widget.*` and friends); each
service's real table is tested with the service and against docs/PERMISSIONS.md.
"""

import pytest

from servicekit.access import CENTRE_ROLES, AccessRefused, Permissions, Reach, Role
from servicekit.auth import Principal

pytestmark = pytest.mark.unit

TABLE = Permissions(
    "kit-test",
    {
        "widget.create": CENTRE_ROLES | {Role.EXTERNAL_SYSTEM},
        "widget.read": CENTRE_ROLES | {Role.UNIT_STAFF, Role.FIELD_CREW},
        "widget.update": CENTRE_ROLES | {Role.UNIT_STAFF},
        "widget.escalate": {Role.UNIT_STAFF},
        "widget.import": {Role.SYSTEM_MAINTAINER, Role.EXTERNAL_SYSTEM},
        "notice.broadcast": {Role.CENTRE_DIRECTOR, Role.UNIT_STAFF},
        "desk.handover": {Role.SHIFT_LEADER},
        "log.read": {Role.SUPERVISION_CENTRE, Role.UNIT_STAFF},
    },
    reach={"widget.escalate": Reach.UP, "notice.broadcast": Reach.DOWN, "desk.handover": Reach.OWN},
)
authorize = TABLE.authorize


def who(tenant: str, *roles: str, kind: str = "user", **claims) -> Principal:
    return Principal(subject=f"u-{tenant}", tenant=tenant, roles=frozenset(roles), kind=kind, claims=claims)


def refused(principal: Principal, action: str, tenant: str) -> AccessRefused:
    with pytest.raises(AccessRefused) as caught:
        authorize(principal, action, tenant)
    return caught.value


@pytest.mark.parametrize(
    "actions, reach, complaint",
    [
        ({"widget.read": {"wizard"}}, {}, "unknown roles ['wizard']"),
        ({"widget.read": set()}, {}, "'widget.read' grants no role"),
        ({"WidgetRead": {Role.AGENT}}, {}, "'WidgetRead' is not thing.verb"),
        ({"widget.read": {Role.AGENT}}, {"widget.write": Reach.UP}, "reach of undeclared action 'widget.write'"),
        ({"widget.read": {Role.AGENT}}, {"widget.read": "sideways"}, "has no reach 'sideways'"),
    ],
)
def test_a_broken_table_is_refused_when_it_is_built(actions, reach, complaint):
    with pytest.raises(ValueError, match="kit-test permission table") as caught:
        Permissions("kit-test", actions, reach=reach)
    assert complaint in str(caught.value)


def test_province_agent_works_records_of_any_county_below_it():
    authorize(who("37", "agent"), "widget.create", "370102")
    authorize(who("37", "agent"), "widget.read", "370202")


def test_a_city_reads_its_counties_but_not_another_citys():
    authorize(who("3701", "unit_staff"), "widget.read", "370102")
    error = refused(who("3701", "unit_staff"), "widget.read", "370202")
    assert (error.status, error.code) == (404, "not_found")


def test_a_county_cannot_read_its_sibling_or_its_parent_and_the_refusal_reads_like_a_missing_record():
    county = who("370102", "unit_staff")
    for other in ("370124", "3701", "37"):
        error = refused(county, "log.read", other)
        assert error.status == 404 and error.message_en == "resource not found"
    with pytest.raises(AccessRefused) as caught:
        authorize(county, "widget.read", "370124", what=("工单", "ticket"))
    assert caught.value.message_zh == "工单不存在"


def test_missing_role_is_403_and_names_the_action_and_target():
    error = refused(who("37", "agent"), "log.read", "37")
    assert (error.status, error.code, error.action, error.tenant) == (403, "role_required", "log.read", "37")


def test_up_reaches_ancestors_but_not_siblings_and_ordinary_writes_stay_in_the_subtree():
    county = who("370102", "unit_staff")
    authorize(county, "widget.escalate", "3701")
    authorize(county, "widget.escalate", "37")
    assert refused(county, "widget.update", "3701").status == 404
    assert refused(county, "widget.escalate", "370124").status == 404


def test_down_goes_down_the_tree_only():
    assert TABLE.reach_of("notice.broadcast") is Reach.DOWN and TABLE.reach_of("widget.read") is Reach.SUBTREE
    authorize(who("37", "centre_director"), "notice.broadcast", "370681")
    assert refused(who("3701", "unit_staff"), "notice.broadcast", "37").status == 404


def test_own_unit_actions_and_field_crews_stay_in_their_own_unit():
    assert refused(who("37", "shift_leader"), "desk.handover", "3701").status == 404
    authorize(who("370102", "field_crew"), "widget.read", "370102")
    assert refused(who("3701", "field_crew"), "widget.read", "370102").status == 404


def test_service_accounts_only_act_as_external_systems_and_only_on_listed_actions():
    feeder = who("37", "external_system", "centre_director", kind="service")
    authorize(feeder, "widget.create", "370102")
    assert refused(feeder, "notice.broadcast", "37").status == 403  # the extra role on a service token is ignored
    narrowed = who("37", "external_system", kind="service", actions=["widget.create"])
    assert refused(narrowed, "widget.import", "37").status == 403
    # a person's token cannot borrow the external-system role
    assert refused(who("37", "external_system"), "widget.create", "37").status == 403


def test_an_action_the_table_does_not_declare_is_a_programming_error_naming_the_service():
    with pytest.raises(ValueError, match=r"unknown action 'widget\.teleport': declare it in kit-test's permissions table"):
        authorize(who("37", "agent"), "widget.teleport", "37")
    with pytest.raises(ValueError, match=r"widget\.teleport"):
        TABLE.readable_tenants(who("37", "agent"), ["37"], "widget.teleport")
    with pytest.raises(ValueError, match=r"widget\.teleport"):
        TABLE.require("widget.read", "widget.teleport")
    TABLE.require("widget.read", "log.read")
    assert "widget.read" in TABLE and "widget.teleport" not in TABLE


def test_readable_tenants_follow_the_tree():
    hosted = ["37", "3701", "3702", "370102", "370124", "370202"]
    assert TABLE.readable_tenants(who("3701", "unit_staff"), hosted) == ["3701", "370102", "370124"]
    assert TABLE.readable_tenants(who("370102", "unit_staff"), hosted, "log.read") == ["370102"]
    assert TABLE.readable_tenants(who("37", "agent"), hosted, "log.read") == []
