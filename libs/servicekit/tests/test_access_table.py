"""The permission table and tree scope: who may do what, and how far along the org-unit tree."""

import pytest

from servicekit.access import PERMISSIONS, REACH, AccessRefused, Reach, Role, authorize, readable_tenants
from servicekit.auth import Principal

pytestmark = pytest.mark.unit


def who(tenant: str, *roles: str, kind: str = "user", **claims) -> Principal:
    return Principal(subject=f"u-{tenant}", tenant=tenant, roles=frozenset(roles), kind=kind, claims=claims)


def refused(principal: Principal, action: str, tenant: str) -> AccessRefused:
    with pytest.raises(AccessRefused) as caught:
        authorize(principal, action, tenant)
    return caught.value


def test_every_action_names_only_known_roles_and_every_reach_exception_is_a_known_action():
    assert all(roles <= set(Role) and roles for roles in PERMISSIONS.values())
    assert set(REACH) <= set(PERMISSIONS)


def test_province_agent_works_orders_of_any_county_below_it():
    authorize(who("37", "agent"), "ticket.create", "370102")
    authorize(who("37", "agent"), "ticket.read", "370202")


def test_a_city_reads_its_counties_but_not_another_citys():
    authorize(who("3701", "unit_staff"), "ticket.read", "370102")
    error = refused(who("3701", "unit_staff"), "ticket.read", "370202")
    assert (error.status, error.code) == (404, "not_found")


def test_a_county_cannot_read_its_sibling_or_its_parent_and_the_refusal_reads_like_a_missing_record():
    county = who("370102", "unit_staff")
    for other in ("370124", "3701", "37"):
        error = refused(county, "report.read", other)
        assert error.status == 404 and error.message_en == "resource not found"
    with pytest.raises(AccessRefused) as caught:
        authorize(county, "ticket.read", "370124", what=("工单", "ticket"))
    assert caught.value.message_zh == "工单不存在"


def test_missing_role_is_403_and_names_the_action_and_target():
    error = refused(who("37", "agent"), "audit.read", "37")
    assert (error.status, error.code, error.action, error.tenant) == (403, "role_required", "audit.read", "37")


def test_escalation_and_monthly_reports_go_up_but_ordinary_writes_do_not():
    county = who("370102", "unit_staff")
    authorize(county, "ticket.escalate", "3701")
    authorize(county, "report.submit", "37")
    assert refused(county, "ticket.update", "3701").status == 404
    # up means ancestors, not siblings
    assert refused(county, "ticket.escalate", "370124").status == 404


def test_directives_and_outage_notices_go_down_the_tree_only():
    assert REACH["directive.issue"] is Reach.DOWN and REACH["outage.notice"] is Reach.DOWN
    authorize(who("37", "centre_director"), "directive.issue", "370681")
    assert refused(who("3701", "unit_staff"), "outage.notice", "37").status == 404


def test_own_unit_actions_and_field_crews_stay_in_their_own_unit():
    assert refused(who("37", "shift_leader"), "shift.handover", "3701").status == 404
    authorize(who("370102", "field_crew"), "ticket.read", "370102")
    assert refused(who("3701", "field_crew"), "ticket.read", "370102").status == 404


def test_service_accounts_only_act_as_external_systems_and_only_on_listed_actions():
    pms = who("37", "external_system", "centre_director", kind="service")
    authorize(pms, "outage.report", "370102")
    assert refused(pms, "audit.read", "37").status == 403  # the extra role on a service token is ignored
    narrowed = who("37", "external_system", kind="service", actions=["outage.report"])
    assert refused(narrowed, "customer.import", "37").status == 403
    # a person's token cannot borrow the external-system role
    assert refused(who("37", "external_system"), "outage.report", "37").status == 403


def test_unknown_action_is_a_programming_error():
    with pytest.raises(ValueError, match="PERMISSIONS"):
        authorize(who("37", "agent"), "ticket.teleport", "37")


def test_readable_tenants_follow_the_tree():
    hosted = ["37", "3701", "3702", "370102", "370124", "370202"]
    assert readable_tenants(who("3701", "unit_staff"), hosted) == ["3701", "370102", "370124"]
    assert readable_tenants(who("370102", "unit_staff"), hosted, "report.read") == ["370102"]
    assert readable_tenants(who("37", "agent"), hosted, "report.read") == []
