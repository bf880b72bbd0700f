"""The deployment's org-unit tree (组织机构树) and hosted-tenant checks: tier, hosted tenants, parent links."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hotline_contracts.tenancy import OrgLevel, is_within, level_of, parent_of
from servicekit.settings import ServiceSettings

ORG_UNITS = "org_units"
_DEPTH = {OrgLevel.PROVINCE: 0, OrgLevel.CITY: 1, OrgLevel.COUNTY: 2}


class TenancyError(ValueError):
    """The org-unit tree or the deployment's tenancy settings are inconsistent."""


@dataclass(frozen=True)
class Unit:
    """One org unit (省/市/县公司) as stored in `{prefix}_platform.org_units`."""

    code: str
    name: str
    level: str
    parent_code: str | None


@dataclass
class OrgTree:
    """The units this deployment knows, checked on load: levels follow the codes, every parent exists."""

    units: dict[str, Unit] = field(default_factory=dict)
    stored: bool = False  # True when read from `org_units`, False when implied by codes alone

    @classmethod
    def from_docs(cls, docs: Iterable[dict[str, Any]]) -> OrgTree:
        tree = cls({d["code"]: Unit(d["code"], d.get("name", ""), d.get("level", ""), d.get("parent_code")) for d in docs}, True)
        problems = tree.problems()
        if problems:
            raise TenancyError("; ".join(problems))
        return tree

    @classmethod
    def from_codes(cls, codes: Iterable[str]) -> OrgTree:
        """A tree implied by codes alone (their ancestors added), for a deployment with no stored tree yet."""
        wanted: set[str] = set()
        for code in codes:
            while code:
                wanted.add(code)
                code = parent_of(code) or ""
        return cls({c: Unit(c, c, level_of(c).value, parent_of(c)) for c in sorted(wanted)})

    def problems(self) -> list[str]:
        """Broken parent links, levels that contradict the code, units whose parent is missing."""
        found = []
        for unit in self.units.values():
            try:
                level = level_of(unit.code)
            except ValueError:
                found.append(f"{unit.code}: not an administrative division code")
                continue
            if unit.level != level.value:
                found.append(f"{unit.code}: level {unit.level!r} should be {level.value!r}")
            if unit.parent_code != parent_of(unit.code):
                found.append(f"{unit.code}: parent {unit.parent_code!r} should be {parent_of(unit.code)!r}")
            elif unit.parent_code is not None and unit.parent_code not in self.units:
                found.append(f"{unit.code}: parent {unit.parent_code} is not in the tree")
        return found

    def __contains__(self, code: object) -> bool:
        return code in self.units

    def within(self, scope: str) -> list[str]:
        """`scope` and every descendant known to the tree, parents first."""
        return sorted((c for c in self.units if is_within(c, scope)), key=lambda c: (len(c), c))

    def children(self, code: str) -> list[str]:
        return sorted(c for c, u in self.units.items() if u.parent_code == code)

    def name(self, code: str) -> str:
        unit = self.units.get(code)
        return unit.name if unit else code


def check_deployment(settings: ServiceSettings, tree: OrgTree) -> list[str]:
    """Hosted tenants must be in the tree and not above the deployment's tier (a county deployment hosts counties)."""
    problems = []
    tier_depth = _DEPTH[OrgLevel(settings.tier)]
    for code in settings.hosted_tenants:
        if code not in tree:
            problems.append(f"hosted tenant {code} is not in the org-unit tree")
        if _DEPTH[level_of(code)] < tier_depth:
            problems.append(f"hosted tenant {code} is above this deployment's tier ({settings.tier})")
    return problems


async def load_org_tree(platform_db: Any, settings: ServiceSettings) -> OrgTree:
    """Read `{prefix}_platform.org_units`; with none stored, the tree implied by the hosted tenants.

    Raises TenancyError when parent links are broken or the deployment hosts tenants the tree lacks.
    """
    docs = [doc async for doc in platform_db[ORG_UNITS].find({}, {"_id": 0})]
    tree = OrgTree.from_docs(docs) if docs else OrgTree.from_codes(settings.hosted_tenants)
    problems = check_deployment(settings, tree)
    if problems:
        raise TenancyError("; ".join(problems))
    return tree


def hosted_within(settings: ServiceSettings, scope: str) -> list[str]:
    """The hosted tenants at or below `scope` (the tenants whose data a read of `scope` covers here)."""
    return [code for code in settings.hosted_tenants if is_within(code, scope)]
