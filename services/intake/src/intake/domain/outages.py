"""Matching a caller to an active outage (已知停电判断): transformer area, then feeder, station, area text."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime

from intake.domain.model import ActiveOutage, Customer, OutageAnswer

_SPLIT = re.compile(r"[，,、；;。\s]+")
_NOISE = ("以南", "以北", "以东", "以西", "区域", "一带", "附近", "沿线", "周边", "部分")


def area_keywords(area: str) -> list[str]:
    """Place names of an outage's area text, without direction words ("泉城路以南区域" → 泉城路)."""
    words: list[str] = []
    for part in _SPLIT.split(area):
        for noise in _NOISE:
            part = part.replace(noise, " ")
        words.extend(w for w in part.split() if len(w) >= 2)
    return words


def _area_matches(area: str | None, address: str | None) -> bool:
    if not area or not address:
        return False
    keywords = area_keywords(area)
    return bool(keywords) and any(k in address for k in keywords)


def match_outage(
    outages: Iterable[ActiveOutage], now: datetime, customer: Customer | None, address_text: str | None
) -> OutageAnswer | None:
    """The most precise active outage covering the caller, or None."""
    live = [o for o in outages if o.in_effect(now)]
    checks: list[tuple[str, Callable[[ActiveOutage], bool]]] = []
    if customer is not None:
        checks += [
            ("transformer_area", lambda o: customer.ta_code is not None and customer.ta_code in o.ta_codes),
            ("feeder", lambda o: customer.feeder_code is not None and customer.feeder_code in o.feeder_codes),
            ("station", lambda o: customer.station_code is not None and customer.station_code in o.station_codes),
        ]
    address = address_text or (customer.address if customer else None)
    checks.append(("area_text", lambda o: _area_matches(o.area, address)))
    for level, covers in checks:
        for outage in live:
            if covers(outage):
                return OutageAnswer(outage.outage_id, level, outage.cause, outage.planned_end, outage.area)
    return None
