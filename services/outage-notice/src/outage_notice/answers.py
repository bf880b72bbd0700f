"""Outage lookup for agents and IVR (停电查询): known or not, cause, expected restoration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from outage_notice.deps import Deps
from outage_notice.domain.lookup import Match, Place, answer


@dataclass(frozen=True)
class LookupQuery:
    """Exactly one of the keys is expected; `at` defaults to now."""

    account_no: str | None = None
    ta_code: str | None = None
    feeder_code: str | None = None
    station_code: str | None = None
    area: str | None = None
    address: str | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class LookupResult:
    known: bool
    at: datetime
    matches: list[tuple[str, Match]]  # (tenant, match)


async def lookup(tenants: list[str], query: LookupQuery, *, deps: Deps) -> LookupResult:
    """Only tenants with a current outage are asked about the caller, so an account costs one indexed read."""
    at = query.at or deps.clock.now()
    found: list[tuple[str, Match]] = []
    for tenant in tenants:
        outages = await deps.index.current(tenant)
        if not outages:
            continue
        place = await _place(tenant, query, deps)
        text = query.area or query.address
        found.extend((tenant, m) for m in answer(outages, at, deps.tz, place=place, text=text))
    return LookupResult(bool(found), at, found)


async def _place(tenant: str, query: LookupQuery, deps: Deps) -> Place | None:
    if query.account_no:
        return await deps.directory.place_of_account(tenant, query.account_no)
    if query.ta_code or query.feeder_code:
        known = await deps.directory.place_of(tenant, ta_code=query.ta_code, feeder_code=query.feeder_code)
        return known or Place(None, query.feeder_code, query.ta_code)
    if query.station_code:
        return Place(station_code=query.station_code)
    return None
