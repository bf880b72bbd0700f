"""业务目录: the one business catalogue of the platform (business types, sub-types, complaint referral sources).

Codes and names live in `data/catalog.json`; every service checks its rule tables against this
module (intake's business types, IVR menu and channel keywords; dispatch's routing, time limits
and reply audit), so a sub-type means the same order in every service. Pure data, no framework:
a service's domain may import it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

# (loc, message_zh, message_en): each service turns these into its own field errors.
CatalogProblem = tuple[str, str, str]


@dataclass(frozen=True)
class Entry:
    """目录项: one code with its Chinese and English names."""

    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class BusinessTypeEntry(Entry):
    """业务类型 with its sub-types (业务子类), in catalogue order."""

    sub_types: tuple[Entry, ...] = ()

    def sub_type_codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.sub_types)


class BusinessCatalog:
    """The catalogue: look-ups and the checks a rule-table row's codes must pass."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.business_types = {
            t["code"]: BusinessTypeEntry(t["code"], t["name_zh"], t["name_en"],
                                         tuple(Entry(s["code"], s["name_zh"], s["name_en"]) for s in t["sub_types"]))
            for t in raw["business_types"]
        }
        self.referral_sources = {r["code"]: Entry(r["code"], r["name_zh"], r["name_en"]) for r in raw["referral_sources"]}

    def sub_types(self, business_type: str) -> tuple[str, ...]:
        entry = self.business_types.get(business_type)
        return entry.sub_type_codes() if entry else ()

    def all_sub_types(self) -> frozenset[str]:
        return frozenset(code for t in self.business_types.values() for code in t.sub_type_codes())

    def check_business_type(self, value: Any, loc: str, *, required: bool = False) -> list[CatalogProblem]:
        if value is None and not required:
            return []
        if value in self.business_types:
            return []
        return [(loc, f"业务类型不在业务目录中：{value}", f"business_type {value!r} is not in the business catalogue")]

    def check_sub_type(self, business_type: Any, sub_type: Any, loc: str) -> list[CatalogProblem]:
        """A sub-type must belong to the row's business type; without a type, to some type of the catalogue."""
        if sub_type is None:
            return []
        allowed = self.sub_types(business_type) if business_type in self.business_types else tuple(sorted(self.all_sub_types()))
        if sub_type in allowed:
            return []
        listed = "、".join(allowed) or "（无子类）"
        return [(loc, f"业务子类不在业务目录中：{sub_type}，可选：{listed}",
                 f"sub_type {sub_type!r} is not in the business catalogue for {business_type!r}; one of {list(allowed)}")]

    def check_referral(self, value: Any, loc: str) -> list[CatalogProblem]:
        if value is None or value in self.referral_sources:
            return []
        return [(loc, f"转办来源无效：{value}，可选：{'、'.join(self.referral_sources)}",
                 f"referred_from {value!r} is not one of {list(self.referral_sources)}")]

    def check_row(self, row: dict[str, Any], loc: str, *, type_required: bool = False) -> list[CatalogProblem]:
        """The catalogue codes a rule row carries (`business_type`, `sub_type`, `referred_from`)."""
        out = self.check_business_type(row.get("business_type"), f"{loc}.business_type", required=type_required)
        out += self.check_sub_type(row.get("business_type"), row.get("sub_type"), f"{loc}.sub_type")
        return out + self.check_referral(row.get("referred_from"), f"{loc}.referred_from")


@cache
def catalog() -> BusinessCatalog:
    """The shipped catalogue (read once)."""
    text = resources.files("hotline_contracts").joinpath("data/catalog.json").read_text(encoding="utf-8")
    return BusinessCatalog(json.loads(text))
