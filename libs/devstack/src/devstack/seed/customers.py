"""Customers (用电客户) behind the transformer areas: residents, important users, 专变 enterprises."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from devstack.seed.geography import CITIES, County
from devstack.seed.names import PhoneBook, UniqueNames, company_name, institution_name, person_name
from devstack.seed.topology import AreaPlace

IMPORTANT_SHARE = 0.01  # 重要用户: hospitals, schools, government, utilities
DEDICATED_SHARE = 0.03  # 专变用户, most important users among them
IMPORTANT_DEDICATED_SHARE = 0.75
OVERDUE_SHARE = 0.02
DISCONNECTED_SHARE = 0.005

CHANNELS = ("sms", "wechat", "app", "voice")  # canonical order of `channels`
_PREFERRED_WEIGHTS = {
    "urban": (0.30, 0.35, 0.25, 0.10),
    "rural": (0.40, 0.30, 0.10, 0.20),
    "remote": (0.45, 0.15, 0.05, 0.35),
    "institution": (0.50, 0.20, 0.10, 0.20),
}
_EXTRA_CHANNEL_ODDS = {"wechat": 0.25, "app": 0.15, "voice": 0.20}
_AREA_WEIGHT = {"urban": 1.6, "rural": 1.0, "remote": 0.35}  # customers per area, relatively


def build_customers(
    rng: random.Random, areas: list[AreaPlace], n: int, phones: PhoneBook, updated_at: datetime
) -> list[dict[str, Any]]:
    """`n` customers spread over `areas` (every area gets one before any gets two), grouped by area."""
    placed = _place(rng, areas, n)
    kinds = _kinds(rng, n)
    accounts = rng.sample(range(10**9, 10**10), n)
    institutions = UniqueNames()
    out = []
    for i, area in enumerate(placed):
        kind = kinds.get(i, {})
        name, profile = _name(rng, area, kind, institutions)
        preferred = rng.choices(CHANNELS, _PREFERRED_WEIGHTS[profile])[0]
        out.append(
            {
                "tenant": area.doc["tenant"],
                "account_no": str(accounts[i]),
                "name": name,
                "phone": phones.new(),
                "address": _address(rng, area, kind),
                "station_code": area.doc["station_code"],
                "feeder_code": area.doc["feeder_code"],
                "ta_code": area.doc["code"],
                "area_class": area.doc["area_class"],
                "important": bool(kind.get("important")),
                "dedicated_transformer": bool(kind.get("dedicated")),
                "arrears_status": kind.get("arrears", "none"),
                "preferred_channel": preferred,
                "channels": _channels(rng, preferred),
                "updated_at": updated_at,
            }
        )
    return out


def _place(rng: random.Random, areas: list[AreaPlace], n: int) -> list[AreaPlace]:
    index = {id(a): i for i, a in enumerate(areas)}
    weights = [_AREA_WEIGHT[a.doc["area_class"]] for a in areas]
    base = list(areas) if n >= len(areas) else []
    extra = rng.choices(areas, weights, k=n - len(base))
    return sorted(base + extra, key=lambda a: index[id(a)])


def _kinds(rng: random.Random, n: int) -> dict[int, dict[str, Any]]:
    """Which customers are important, dedicated, overdue or disconnected (exact shares, ≥ 1 each)."""

    def share(rate: float) -> int:
        return max(1, round(n * rate))

    kinds: dict[int, dict[str, Any]] = {}
    everyone = range(n)
    important = rng.sample(everyone, min(n, share(IMPORTANT_SHARE)))
    for i in important:
        kinds[i] = {"important": True, "dedicated": rng.random() < IMPORTANT_DEDICATED_SHARE}
    dedicated_now = sum(1 for k in kinds.values() if k["dedicated"])
    others = [i for i in everyone if i not in kinds]
    for i in rng.sample(others, min(len(others), max(0, share(DEDICATED_SHARE) - dedicated_now))):
        kinds[i] = {"dedicated": True}
    residents = [i for i in everyone if not kinds.get(i, {}).get("important")]  # never cut an important user
    arrears = rng.sample(residents, min(len(residents), share(OVERDUE_SHARE) + share(DISCONNECTED_SHARE)))
    for j, i in enumerate(arrears):
        kinds.setdefault(i, {})["arrears"] = "disconnected" if j < share(DISCONNECTED_SHARE) else "overdue"
    return kinds


def _name(rng: random.Random, area: AreaPlace, kind: dict[str, Any], used: UniqueNames) -> tuple[str, str]:
    """(name, channel profile): an institution, an enterprise or a person."""
    county = area.county
    if kind.get("important"):
        town = area.town if area.village else area.town.removesuffix("街道")
        name = used.take(lambda: institution_name(rng, county.short, town, area.village))
        return name, "institution"
    if kind.get("dedicated"):
        return used.take(lambda: company_name(rng, _company_place(county))), "institution"
    return person_name(rng), area.doc["area_class"]


def _company_place(county: County) -> str:
    return CITIES[county.city].short if county.urban else county.short[:-1]


def _address(rng: random.Random, area: AreaPlace, kind: dict[str, Any]) -> str:
    prefix = area.county.address_prefix
    if kind.get("important") or kind.get("dedicated"):
        if area.village:
            return f"{prefix}{area.town}{area.village}村{rng.randint(1, 200)}号"
        return f"{prefix}{area.road}{rng.randint(1, 399)}号"
    if area.community:
        room = f"{rng.randint(1, 18)}{rng.randint(1, 4):02d}"
        return (
            f"{prefix}{area.road}{area.number}号{area.community}"
            f"{rng.randint(1, 24)}号楼{rng.randint(1, 4)}单元{room}室"
        )
    return f"{prefix}{area.town}{area.village}村{rng.randint(1, 300)}号"


def _channels(rng: random.Random, preferred: str) -> list[str]:
    """Channels the customer can be reached on: the preferred one, SMS, sometimes more."""
    chosen = {preferred, "sms"} | {c for c, odds in _EXTRA_CHANNEL_ODDS.items() if rng.random() < odds}
    return [c for c in CHANNELS if c in chosen]
