"""Org-unit tree helpers: level by code length, parent chain, containment."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hotline_contracts.tenancy import (
    OrgLevel,
    OrgUnit,
    ancestors_of,
    is_within,
    level_of,
    parent_of,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("code", "level"),
    [("37", OrgLevel.PROVINCE), ("3701", OrgLevel.CITY), ("370102", OrgLevel.COUNTY)],
)
def test_level_follows_code_length(code: str, level: OrgLevel) -> None:
    assert level_of(code) == level


@pytest.mark.parametrize("code", ["3", "370", "37010203"])
def test_level_of_a_non_division_code_raises(code: str) -> None:
    with pytest.raises(ValueError, match="administrative division"):
        level_of(code)


def test_parent_chain_goes_up_to_the_province() -> None:
    assert parent_of("370102") == "3701"
    assert parent_of("37") is None
    assert ancestors_of("370102") == ["3701", "37"]
    assert ancestors_of("37") == []


def test_is_within_covers_self_and_descendants_only() -> None:
    assert is_within("370102", "37")
    assert is_within("370102", "3701")
    assert is_within("3701", "3701")
    assert not is_within("370202", "3701")
    assert not is_within("3701", "370102")
    assert not is_within("3801", "37")


def test_org_unit_checks_level_and_parent() -> None:
    unit = OrgUnit(code="370102", name="国网济南市历下区供电公司", level="county", parent_code="3701")
    assert unit.ancestors() == ["3701", "37"]
    with pytest.raises(ValidationError, match="does not match"):
        OrgUnit(code="370102", name="历下", level="city", parent_code="3701")
    with pytest.raises(ValidationError, match="parent"):
        OrgUnit(code="370102", name="历下", level="county", parent_code="37")
