"""The deployment's org-unit tree: parent links, tier and hosted tenants are checked before serving."""

import pytest

from servicekit.settings import ServiceSettings
from servicekit.tenancy import OrgTree, TenancyError, check_deployment, hosted_within

pytestmark = pytest.mark.unit

DOCS = [
    {"code": "37", "name": "国网山东省电力公司", "level": "province", "parent_code": None},
    {"code": "3701", "name": "国网济南供电公司", "level": "city", "parent_code": "37"},
    {"code": "3702", "name": "国网青岛供电公司", "level": "city", "parent_code": "37"},
    {"code": "370102", "name": "历下", "level": "county", "parent_code": "3701"},
    {"code": "370124", "name": "平阴", "level": "county", "parent_code": "3701"},
    {"code": "370202", "name": "市南", "level": "county", "parent_code": "3702"},
]


def test_the_tree_answers_subtrees_and_children():
    tree = OrgTree.from_docs(DOCS)
    assert tree.within("3701") == ["3701", "370102", "370124"]
    assert tree.children("37") == ["3701", "3702"]
    assert tree.name("370202") == "市南"


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ({"code": "370103", "name": "x", "level": "county", "parent_code": "3702"}, "parent '3702' should be '3701'"),
        ({"code": "370301", "name": "x", "level": "county", "parent_code": "3703"}, "3703 is not in the tree"),
        ({"code": "3706", "name": "x", "level": "county", "parent_code": "37"}, "should be 'city'"),
    ],
)
def test_broken_parent_links_and_levels_are_refused(bad, words):
    with pytest.raises(TenancyError, match=words):
        OrgTree.from_docs([*DOCS, bad])


def test_a_deployment_may_not_host_tenants_missing_from_the_tree_or_above_its_tier():
    tree = OrgTree.from_docs(DOCS)
    assert check_deployment(ServiceSettings(tier="province", hosted_tenants=["37", "3701", "370102"]), tree) == []
    problems = check_deployment(ServiceSettings(tier="county", hosted_tenants=["3701", "370681"]), tree)
    assert problems == [
        "hosted tenant 3701 is above this deployment's tier (county)",
        "hosted tenant 370681 is not in the org-unit tree",
    ]


def test_a_tree_implied_by_hosted_codes_includes_their_ancestors():
    tree = OrgTree.from_codes(["370102", "370202"])
    assert tree.problems() == [] and tree.within("37") == ["37", "3701", "3702", "370102", "370202"]
    assert hosted_within(ServiceSettings(hosted_tenants=["37", "3701", "370102", "370202"]), "3701") == ["3701", "370102"]
