"""Tenant and org-unit model (省/市/县公司): administrative division codes and the parent chain."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

TENANT_CODE_PATTERN = r"^\d{2}(\d{2}(\d{2})?)?$"


class OrgLevel(StrEnum):
    """省 province (2-digit code), 市 city (4-digit), 县 county (6-digit)."""

    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


_LEVEL_BY_LENGTH = {2: OrgLevel.PROVINCE, 4: OrgLevel.CITY, 6: OrgLevel.COUNTY}


def level_of(code: str) -> OrgLevel:
    """The level an administrative division code denotes, by its length (37 → province)."""
    try:
        return _LEVEL_BY_LENGTH[len(code)]
    except KeyError:
        raise ValueError(f"not an administrative division code: {code!r}") from None


def parent_of(code: str) -> str | None:
    """The parent's code (370102 → 3701 → 37 → None)."""
    return code[:-2] if len(code) > 2 else None


def ancestors_of(code: str) -> list[str]:
    """Parent chain, nearest first (370102 → [3701, 37])."""
    chain: list[str] = []
    parent = parent_of(code)
    while parent is not None:
        chain.append(parent)
        parent = parent_of(parent)
    return chain


def is_within(code: str, scope: str) -> bool:
    """True when `code` is `scope` itself or one of its descendants."""
    return code.startswith(scope)


class OrgUnit(BaseModel):
    """One company in the tree (省/市/县供电公司); each is a tenant."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=TENANT_CODE_PATTERN, examples=["370102"])
    name: str = Field(min_length=1, max_length=64, examples=["国网济南市历下区供电公司"])
    level: OrgLevel
    parent_code: str | None = None

    @model_validator(mode="after")
    def _level_and_parent_follow_the_code(self) -> OrgUnit:
        if level_of(self.code) != self.level:
            raise ValueError(f"level {self.level} does not match code {self.code}")
        if self.parent_code != parent_of(self.code):
            raise ValueError(f"parent of {self.code} must be {parent_of(self.code)}")
        return self

    def ancestors(self) -> list[str]:
        return ancestors_of(self.code)
