"""Business types, sub-types and their required fields, per tenant (业务类型配置); rows come from a rule table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from hotline_contracts.catalog import catalog
from intake.domain.model import Contact

# Field names a rule row may require, with how the caller is told about a missing one.
REQUIRABLE: dict[str, tuple[str, str]] = {
    "summary": ("请填写诉求内容", "summary is required"),
    "sub_type": ("请选择业务子类", "sub_type is required"),
    "account_no": ("请提供户号", "account number is required"),
    "contact_phone": ("请提供联系电话", "contact phone is required"),
    "address_text": ("请提供地址", "address is required"),
    "location": ("请提供户号或地址", "account number or address is required"),
    "attachment_ref": ("请提供附件编号", "attachment reference is required"),
}


@dataclass(frozen=True)
class Problem:
    """One field-level problem, in both languages (the edge turns it into a 422)."""

    loc: str
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class TypeRule:
    """One business type: its sub-types and the fields a contact of this type must carry."""

    business_type: str
    name_zh: str
    sub_types: tuple[str, ...]
    required: tuple[str, ...]


class Catalog:
    """The effective business-type table of one tenant."""

    _built: ClassVar[dict[int, tuple[Sequence[Mapping[str, Any]], Catalog]]] = {}

    @classmethod
    def of(cls, rows: Sequence[Mapping[str, Any]]) -> Catalog:
        """The catalog of these rows, built once per rows object (the rule cache hands out the same list for its TTL)."""
        built = cls._built.get(id(rows))
        if built is not None and built[0] is rows:  # the entry keeps `rows` alive, so its id is not reused
            return built[1]
        if len(cls._built) >= 256:
            cls._built.clear()
        catalog = cls._built[id(rows)] = (rows, cls(rows))
        return catalog[1]

    def __init__(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self.types = {
            r["business_type"]: TypeRule(r["business_type"], r.get("name_zh", ""), tuple(r.get("sub_types", ())), tuple(r.get("required", ())))
            for r in rows
        }

    def check(self, contact: Contact) -> list[Problem]:
        rule = self.types.get(contact.business_type)
        if rule is None:
            return [Problem("body.business_type", "本单位未开通该业务类型", f"business type {contact.business_type!r} is not configured")]
        problems = [Problem(f"body.{name}", *REQUIRABLE[name]) for name in rule.required if not contact.has(name)]
        if contact.sub_type and rule.sub_types and contact.sub_type not in rule.sub_types:
            problems.append(
                Problem("body.sub_type", f"业务子类无效，可选：{'、'.join(rule.sub_types)}", f"unknown sub_type, one of {list(rule.sub_types)}")
            )
        return problems


def validate_rows(rows: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """Refuse a business-type table that names unknown required fields, repeats a type, or a type or
    sub-type outside the platform's business catalogue (hotline_contracts.catalog; locs within the version)."""
    problems = _unique(rows, "business_type", "业务类型缺失或重复", "business type missing or repeated")
    for i, row in enumerate(rows):
        problems += _in_catalog({"business_type": row.get("business_type")}, f"rows.{i}")
        for j, sub_type in enumerate(row.get("sub_types") or []):
            problems += [Problem(*p) for p in catalog().check_sub_type(row.get("business_type"), sub_type, f"rows.{i}.sub_types.{j}")]
        unknown = [f for f in row.get("required", []) if f not in REQUIRABLE]
        if unknown:
            problems.append(Problem(f"rows.{i}.required", f"未知的必填字段：{unknown}", f"unknown required fields: {unknown}"))
    return problems


def validate_repeat_rows(rows: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """重复来电判定时长: one row per business type ("*" for the rest), a positive window in hours."""
    problems = _unique(rows, "business_type", "业务类型缺失或重复", "business type missing or repeated")
    for i, row in enumerate(rows):
        hours = row.get("window_hours")
        if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= 24 * 90:
            problems.append(Problem(f"rows.{i}.window_hours", "时长须在 0 到 2160 小时之间", "window_hours must be in (0, 2160]"))
    return problems


def validate_ivr_rows(rows: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """IVR 按键: one row per key, each naming a business type."""
    return _unique(rows, "choice", "按键缺失或重复", "choice missing or repeated") + _named(rows, "business_type") + _coded(rows)


def validate_keyword_rows(rows: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """短信/邮件关键词: one row per keyword ("*" is the fallback), each naming a business type."""
    return _unique(rows, "keyword", "关键词缺失或重复", "keyword missing or repeated") + _named(rows, "business_type") + _coded(rows)


def _unique(rows: Sequence[Mapping[str, Any]], key: str, zh: str, en: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        value = row.get(key)
        if not isinstance(value, str) or not value or value in seen:
            problems.append(Problem(f"rows.{i}.{key}", zh, en))
        seen.add(str(value))
    return problems


def _named(rows: Sequence[Mapping[str, Any]], key: str) -> list[Problem]:
    return [Problem(f"rows.{i}.{key}", "须给出业务类型", f"{key} is required") for i, row in enumerate(rows)
            if not isinstance(row.get(key), str) or not row[key]]


def _in_catalog(row: Mapping[str, Any], loc: str) -> list[Problem]:
    return [Problem(*p) for p in catalog().check_row(dict(row), loc)]


def _coded(rows: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """Each row's business type and sub-type are codes of the business catalogue (the same codes dispatch matches)."""
    return [p for i, row in enumerate(rows) for p in _in_catalog(row, f"rows.{i}")]


RULE_TABLE_CHECKS = {
    "business_types": validate_rows, "repeat_calls": validate_repeat_rows,
    "ivr_menu": validate_ivr_rows, "channel_keywords": validate_keyword_rows,
}


def repeat_window_hours(rows: Sequence[Mapping[str, Any]], business_type: str) -> float:
    """The repeat-call window for a type: its own row, else the "*" row (重复来电判定时长)."""
    by_type = {r.get("business_type"): float(r["window_hours"]) for r in rows if "window_hours" in r}
    return by_type.get(business_type, by_type.get("*", 0.0))
