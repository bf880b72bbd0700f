"""Answers for agents and IVR (停电查询): is the outage known, its cause, expected restoration."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from outage_notice.domain.outage import Outage, OutageState

TYPE_ZH = {
    "planned": "计划停电",
    "temporary": "临时停电",
    "grid_fault": "故障停电",
    "over_capacity": "超电网供电能力限电",
    "orderly_use": "有序用电",
    "arrears": "欠费停电",
    "theft": "窃电停电",
    "contract_violation": "违约停电",
}


@dataclass(frozen=True)
class Place:
    """A point of the grid: the caller's station, feeder and transformer area (any may be unknown)."""

    station_code: str | None = None
    feeder_code: str | None = None
    ta_code: str | None = None


@dataclass(frozen=True)
class Match:
    """One outage that concerns the caller, with the lines the agent or IVR reads out."""

    outage: Outage
    status: str  # "active" (power is or should be off now) or "upcoming"
    script_zh: str
    script_en: str


def status_at(outage: Outage, at: datetime) -> str | None:
    """active / upcoming / None (over or not announced) at time `at`."""
    if outage.state == OutageState.STARTED:
        return "active"
    if outage.state != OutageState.PUBLISHED:
        return None
    if at < outage.planned_start:
        return "upcoming"
    if outage.planned_end is None or at < outage.planned_end:
        return "active"
    return None


def covers_place(outage: Outage, place: Place) -> bool:
    return outage.scope.covers(station=place.station_code, feeder=place.feeder_code, ta=place.ta_code)


def covers_text(outage: Outage, text: str) -> bool:
    """Area/address text: the announced area text and the query overlap (one contains the other)."""
    area = (outage.scope.area or "").strip()
    text = text.strip()
    return bool(area and text) and (area in text or text in area)


def answer(outages: Iterable[Outage], at: datetime, tz: tzinfo, *, place: Place | None = None, text: str | None = None) -> list[Match]:
    """Matches for a place or a text, active ones first, then by start time."""
    found = []
    for outage in outages:
        status = status_at(outage, at)
        if status is None:
            continue
        if (place and covers_place(outage, place)) or (text and covers_text(outage, text)):
            found.append(Match(outage, status, script_zh(outage, status, tz), script_en(outage, status, tz)))
    return sorted(found, key=lambda m: (m.status != "active", m.outage.planned_start))


def _when(value: datetime | None, tz: tzinfo) -> str | None:
    if value is None:
        return None
    local = value.astimezone(tz)
    return f"{local.month}月{local.day}日{local:%H:%M}"


def script_zh(outage: Outage, status: str, tz: tzinfo) -> str:
    kind = TYPE_ZH.get(outage.outage_type, "停电")
    end = _when(outage.planned_end, tz)
    restore = f"预计{end}恢复供电" if end else "恢复时间正在确认中，抢修人员已在处理"
    if status == "upcoming":
        return f"您好，您所在区域已安排{kind}，原因：{outage.cause}，停电时间{_when(outage.planned_start, tz)}，{restore}。"
    return f"您好，您所在区域的停电我们已经知道，属于{kind}，原因：{outage.cause}，{restore}，请您耐心等待。"


def script_en(outage: Outage, status: str, tz: tzinfo) -> str:
    end = outage.planned_end.astimezone(tz).strftime("%Y-%m-%d %H:%M") if outage.planned_end else None
    restore = f"power is expected back by {end}" if end else "the restoration time is being confirmed"
    if status == "upcoming":
        start = outage.planned_start.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        return f"An outage ({outage.outage_type}) is scheduled in your area from {start}: {outage.cause}; {restore}."
    return f"This outage is known ({outage.outage_type}): {outage.cause}; {restore}."
