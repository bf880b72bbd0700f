"""Rule tables (规则表) dispatch reads, and the checks a table must pass before it is saved."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from dispatch.domain.clocks import CLOCK_NAMES
from hotline_contracts.catalog import catalog
from servicekit.calendar import CALENDAR_TABLE, check_overrides
from servicekit.errors import FieldError
from servicekit.holiday_schedule import HOLIDAY_TABLE, check_schedule

TABLES = ("routing", "timelimits", "warnings", "reply_audit", CALENDAR_TABLE, HOLIDAY_TABLE, "shifts")
AREA_CLASSES = {"urban", "rural", "remote"}
URGENCIES = {"normal", "urgent", "critical"}
MILESTONE_NAMES = {
    "created", "dispatched", "accepted", "departed", "on_site", "repaired", "replied", "customer_contacted", "closed",
}
_UNIT = re.compile(r"^\d{2}(\d{2}(\d{2})?)?$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

Problem = tuple[str, str, str]  # (loc, message_zh, message_en)


def _enum(row: dict[str, Any], name: str, allowed: set[str], loc: str) -> list[Problem]:
    value = row.get(name)
    if value is None or value in allowed:
        return []
    return [(f"{loc}.{name}", f"取值无效：{value}", f"invalid value: {value}")]


def _routing_row(row: dict[str, Any], loc: str, tenant: str) -> list[Problem]:
    out = list(catalog().check_row(row, loc)) + _enum(row, "area_class", AREA_CLASSES, loc)
    out += _enum(row, "urgency", URGENCIES, loc)
    to_unit = row.get("to_unit") or "$responsible"
    if to_unit != "$responsible" and not (_UNIT.match(str(to_unit)) and str(to_unit).startswith(tenant)):
        out.append((f"{loc}.to_unit", "派往单位须为本单位或下级单位", "to_unit must be this unit or one below it"))
    return out


def _timelimit_row(row: dict[str, Any], loc: str, tenant: str) -> list[Problem]:
    out = _enum(row, "clock", set(CLOCK_NAMES), loc) + _enum(row, "area_class", AREA_CLASSES, loc)
    out += catalog().check_row(row, loc, type_required=True)  # the codes intake sends (hotline_contracts.catalog)
    minutes, days = row.get("limit_minutes"), row.get("limit_working_days")
    if (minutes is None) == (days is None) or not float(minutes or days or 0) > 0:
        out.append((f"{loc}.limit", "须且仅须给出一个正的时限（分钟或工作日）", "give exactly one positive limit"))
    stops = row.get("stop") or []
    if row.get("start", "created") not in MILESTONE_NAMES or not stops or set(stops) - MILESTONE_NAMES:
        out.append((f"{loc}.stop", "起止节点无效", "start/stop milestones are invalid"))
    return out


def _warnings_row(row: dict[str, Any], loc: str, tenant: str) -> list[Problem]:
    levels = row.get("levels") or []
    ok = len(levels) == 4 and all(a < b for a, b in zip([0, *levels], levels, strict=False)) and levels[-1] <= 100
    if not ok:
        return [(f"{loc}.levels", "须为四级递增的百分比（≤100）", "four increasing percentages up to 100")]
    if not isinstance(row.get("pause_reasons", []), list):
        return [(f"{loc}.pause_reasons", "须为列表", "must be a list")]
    return []


def _reply_audit_row(row: dict[str, Any], loc: str, tenant: str) -> list[Problem]:
    if not row.get("sub_type") or not isinstance(row.get("level1"), list) or not row["level1"]:
        return [(loc, "须给出子类及允许的一级分类", "sub_type and a non-empty level1 list are required")]
    if str(row["sub_type"]).startswith("$"):  # a named group ($customer_side), not a catalogue code
        return []
    return list(catalog().check_sub_type("fault_repair", row["sub_type"], f"{loc}.sub_type"))


def _shift_row(row: dict[str, Any], loc: str, tenant: str) -> list[Problem]:
    if not all(_HHMM.match(str(row.get(k, ""))) for k in ("starts", "ends")) or row.get("starts") == row.get("ends"):
        return [(loc, "班次起止须为不同的 HH:MM", "starts and ends must be distinct HH:MM times")]
    return []


ROW_CHECKS: dict[str, Callable[[dict[str, Any], str, str], list[Problem]]] = {
    "routing": _routing_row, "timelimits": _timelimit_row, "warnings": _warnings_row,
    "reply_audit": _reply_audit_row, "shifts": _shift_row,
}


def validate_table(name: str, rows: list[dict[str, Any]], tenant: str) -> list[Problem]:
    """Every problem in a table about to be saved (empty list: it may be saved)."""
    if name == CALENDAR_TABLE:  # the platform's calendar table: servicekit.calendar checks it for every service
        return [(p.loc, p.message_zh, p.message_en) for p in check_overrides(tenant, {"rows": rows})]
    if name == HOLIDAY_TABLE:  # the State Council schedule by year (servicekit.holiday_schedule)
        return [(p.loc, p.message_zh, p.message_en) for p in check_schedule(tenant, {"rows": rows})]
    problems: list[Problem] = []
    ids = [row.get("id") for row in rows]
    if len(set(ids)) != len(ids) or any(not i for i in ids):
        problems.append(("rows", "每行须有唯一 id", "every row needs a unique id"))
    for i, row in enumerate(rows):
        problems += ROW_CHECKS[name](row, f"rows.{i}", tenant)
    if name == "routing" and not any(all(row.get(f) is None for f in ("business_type", "sub_type", "station_code",
                                                                        "area_class", "urgency", "important")) for row in rows):
        problems.append(("rows", "须保留一条兜底规则（不设任何条件）", "keep one fallback row with no conditions"))
    if name == "warnings" and len(rows) != 1:
        problems.append(("rows", "预警表须恰好一行", "the warnings table has exactly one row"))
    return problems


def _validator(name: str) -> Callable[[str, Mapping[str, Any]], list[FieldError]]:
    def check(tenant: str, version: Mapping[str, Any]) -> list[FieldError]:
        return [FieldError(loc, zh, en) for loc, zh, en in validate_table(name, list(version["rows"]), tenant)]

    return check


VALIDATORS = {name: _validator(name) for name in TABLES}  # registered with the rule store (servicekit.rules)
