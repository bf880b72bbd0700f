"""People: repair crews (抢修班组) and their rosters, and the staff accounts of every tenant."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from devstack.seed.geography import CITIES, PROVINCE_CODE
from devstack.seed.names import PhoneBook, person_name

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    LOCAL_TZ: timezone | ZoneInfo = ZoneInfo("Asia/Shanghai")
except (ImportError, ZoneInfoNotFoundError):  # no tz database: China has kept UTC+8 without DST since 1991
    LOCAL_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

CREWS_PER_STATION = (1, 2)
MEMBERS_PER_CREW = (4, 6)
ROSTER_DAYS = 14
ROTATION_DAYS = 7  # two crews swap day and night shifts once a week (weeks counted from 0001-01-01)
SHIFTS = (("day", time(8, 0)), ("night", time(20, 0)))  # 12 h each, local time
UNIT_STAFF = {"city": 4, "county": 3}
CENTRE_STAFF = (  # the provincial 95598 centre (tenant 37)
    ("agent", 20),
    ("shift_leader", 4),
    ("centre_director", 1),
    ("system_maintainer", 1),
    ("supervision_centre", 1),  # 营销监控中心
)
_CREW_ORDINAL = "一二三四"


class UserIds:
    """`u-{tenant}-{nnnn}`, numbered per tenant from 0001."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def new(self, tenant: str) -> str:
        n = self._next.get(tenant, 0) + 1
        self._next[tenant] = n
        return f"u-{tenant}-{n:04d}"


def _user(ids: UserIds, phones: PhoneBook, rng: random.Random, tenant: str, role: str) -> dict[str, Any]:
    return {
        "tenant": tenant,
        "user_id": ids.new(tenant),
        "name": person_name(rng),
        "roles": [role],
        "org_unit": tenant,
        "phone": phones.new(),
    }


def centre_users(rng: random.Random, ids: UserIds, phones: PhoneBook) -> list[dict[str, Any]]:
    """Agents, shift leaders, the director, the maintainer and a supervision-centre officer."""
    return [_user(ids, phones, rng, PROVINCE_CODE, role) for role, n in CENTRE_STAFF for _ in range(n)]


def unit_users(rng: random.Random, ids: UserIds, phones: PhoneBook, tenant: str) -> list[dict[str, Any]]:
    """Staff of a city or county company who receive and answer dispatched orders."""
    level = "city" if tenant in CITIES else "county"
    return [_user(ids, phones, rng, tenant, "unit_staff") for _ in range(UNIT_STAFF[level])]


def build_crews(
    rng: random.Random, ids: UserIds, phones: PhoneBook, stations: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(crews, their field_crew users) for one county's stations."""
    crews, users = [], []
    for station in stations:
        for k in range(rng.randint(*CREWS_PER_STATION)):
            code = f"{station['code']}-C{k + 1}"
            members = []
            for _ in range(rng.randint(*MEMBERS_PER_CREW)):
                user = _user(ids, phones, rng, station["tenant"], "field_crew")
                user["crew_code"] = code
                users.append(user)
                members.append({"user_id": user["user_id"], "name": user["name"], "phone": user["phone"]})
            crews.append(
                {
                    "tenant": station["tenant"],
                    "code": code,
                    "name": f"{station['name']}抢修{_CREW_ORDINAL[k]}班",
                    "station_code": station["code"],
                    "members": members,
                }
            )
    return crews, users


def build_rosters(crews: list[dict[str, Any]], start: date, days: int = ROSTER_DAYS) -> list[dict[str, Any]]:
    """Day (08–20) and night (20–08) duty per station for `days` days from `start`.

    A station with two crews gives one the days and the other the nights, swapping every
    ROTATION_DAYS; a station with one crew has it on duty (on call at night) around the clock.
    The rotation follows the calendar, not `start`: a date's duty is the same whatever the start.
    """
    by_station: dict[str, list[dict[str, Any]]] = {}
    for crew in crews:
        by_station.setdefault(crew["station_code"], []).append(crew)
    rosters = []
    for d in range(days):
        day = start + timedelta(days=d)
        for station_crews in by_station.values():
            for s, (shift, begins) in enumerate(SHIFTS):
                crew = station_crews[(day.toordinal() // ROTATION_DAYS + s) % len(station_crews)]
                starts = datetime.combine(day, begins, LOCAL_TZ)
                rosters.append(
                    {
                        "tenant": crew["tenant"],
                        "crew_code": crew["code"],
                        "station_code": crew["station_code"],
                        "date": day.isoformat(),
                        "shift": shift,
                        "starts_at": starts.astimezone(UTC),
                        "ends_at": (starts + timedelta(hours=12)).astimezone(UTC),
                    }
                )
    return rosters
