"""Grid topology per county: supply stations (供电所), 10 kV feeders (线路), transformer areas (台区)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from devstack.seed.geography import COUNTIES, County, town_short
from devstack.seed.names import UniqueNames, community_name, feeder_name, village_name

STATIONS_PER_COUNTY = (3, 5)
FEEDERS_PER_STATION = (3, 6)
AREAS_PER_FEEDER = (8, 14)

# Feeder area class weights (urban, rural, remote) by where the station is.
_CLASS_WEIGHTS = {
    "district": (0.9, 0.1, 0.0),  # a city district
    "county_seat": (0.6, 0.4, 0.0),  # a 街道 of a county or county-level city
    "township": (0.0, 0.9, 0.1),  # a 镇 of a county
}
_CLASSES = ("urban", "rural", "remote")
# One station's plan: (town, [[area_class, n_areas], ...per feeder]); the inner lists are topped up in place.
StationPlan = tuple[str, list[list[Any]]]


@dataclass
class AreaPlace:
    """Where a transformer area is, for the addresses of the customers behind it."""

    doc: dict[str, Any]  # the transformer_areas document
    county: County
    town: str
    road: str
    number: int  # house number on the road, shared by the compound
    community: str | None  # urban compound, or None for a village
    village: str | None


@dataclass
class CountyTopology:
    stations: list[dict[str, Any]]
    feeders: list[dict[str, Any]]
    areas: list[AreaPlace]


def build_topology(rng: random.Random, min_areas: int) -> dict[str, CountyTopology]:
    """Stations, feeders and transformer areas for every county, at least `min_areas` areas in all."""
    plan = {code: _plan_county(rng, county) for code, county in COUNTIES.items()}
    _top_up(plan, min_areas)
    _ensure_remote(plan)
    return {code: _build_county(rng, COUNTIES[code], stations) for code, stations in plan.items()}


def _plan_county(rng: random.Random, county: County) -> list[StationPlan]:
    """[(town, [[area_class, n_areas], ...per feeder]), ...per station]."""
    n_stations = rng.randint(*STATIONS_PER_COUNTY)
    if county.urban:
        towns = [county.towns[i] for i in sorted(rng.sample(range(len(county.towns)), n_stations))]
    else:  # the seat's station, then townships (镇)
        townships = [t for t in county.towns if not t.endswith("街道")]
        picked = sorted(rng.sample(range(len(townships)), n_stations - 1))
        towns = [county.towns[0], *(townships[i] for i in picked)]
    plan: list[StationPlan] = []
    for i, town in enumerate(towns):
        kind = "district" if county.urban else ("county_seat" if i == 0 else "township")
        feeders = [
            [rng.choices(_CLASSES, _CLASS_WEIGHTS[kind])[0], rng.randint(*AREAS_PER_FEEDER)]
            for _ in range(rng.randint(*FEEDERS_PER_STATION))
        ]
        plan.append((town, feeders))
    return plan


def _top_up(plan: dict[str, list[StationPlan]], min_areas: int) -> None:
    feeders = [f for stations in plan.values() for _, fs in stations for f in fs]
    shortfall = min_areas - sum(f[1] for f in feeders)
    for i in range(max(shortfall, 0)):
        feeders[i % len(feeders)][1] += 1


def _ensure_remote(plan: dict[str, list[StationPlan]]) -> None:
    """A few remote (偏远) areas always exist, so the 2 h arrival limit can be demonstrated."""
    feeders = [f for stations in plan.values() for _, fs in stations for f in fs]
    if not any(f[0] == "remote" for f in feeders):
        rural = [f for f in feeders if f[0] == "rural"] or feeders
        rural[-1][0] = "remote"


def _build_county(rng: random.Random, county: County, plan: list[StationPlan]) -> CountyTopology:
    topo = CountyTopology([], [], [])
    feeder_names, area_names = UniqueNames(), UniqueNames()
    tenant = county.code
    for s, (town, feeders) in enumerate(plan, start=1):
        station_code = f"{tenant}-S{s:02d}"
        topo.stations.append({"tenant": tenant, "code": station_code, "name": f"{town_short(town)}供电所"})
        for f, (area_class, n_areas) in enumerate(feeders, start=1):
            feeder_code = f"{station_code}-F{f:02d}"
            topo.feeders.append(
                {
                    "tenant": tenant,
                    "code": feeder_code,
                    "name": feeder_names.take(lambda: feeder_name(rng)),
                    "station_code": station_code,
                }
            )
            for a in range(1, n_areas + 1):
                topo.areas.append(
                    _area(rng, county, town, area_names, f"{feeder_code}-T{a:03d}", feeder_code, station_code, area_class)
                )
    return topo


def _area(
    rng: random.Random,
    county: County,
    town: str,
    names: UniqueNames,
    code: str,
    feeder_code: str,
    station_code: str,
    area_class: str,
) -> AreaPlace:
    road = rng.choice(county.roads)
    community = village = None
    if area_class == "urban":
        while True:
            community = community_name(rng)
            name = f"{community}{rng.randint(1, 9)}号台区"
            if names.claim(name):
                break
    else:
        name = names.take(lambda: f"{village_name(rng)}台区")
        village = name.removesuffix("台区")
    doc = {
        "tenant": county.code,
        "code": code,
        "name": name,
        "feeder_code": feeder_code,
        "station_code": station_code,
        "area_class": area_class,
    }
    return AreaPlace(doc, county, town, road, rng.randint(1, 399), community, village)
