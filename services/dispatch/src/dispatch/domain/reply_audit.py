"""Reply audit (回单审核): consistency checks on a unit's or crew's reply before 95598 accepts it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dispatch.domain.model import WorkOrder

REPAIR_REQUIRED = ("cause", "fault_class", "departed_at", "arrived_at", "handler")
REPLY_REQUIRED = ("content", "outcome", "by")


def _time(reply: dict[str, Any], name: str) -> datetime | None:
    value = reply.get(name)
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def missing_repair_fields(reply: dict[str, Any]) -> list[str]:
    """The repair facts a fault-repair reply lacks, however it was sent (crew completion or the unit's reply)."""
    given = reply | {"handler": reply.get("handler") or reply.get("by")}  # the unit's reply names its handler `by`
    missing = [n for n in REPAIR_REQUIRED if not given.get(n)]
    if "fault_class" not in missing and not (reply.get("fault_class") or {}).get("level1"):
        missing.append("fault_class.level1")
    if not reply.get("restored_at") and not reply.get("customer_side_fault"):
        missing.append("restored_at")
    return missing


def _missing(reply: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    return [f"缺少必填项 {n} / required field {n} missing" for n in names if not reply.get(n)]


def _times(order: WorkOrder, reply: dict[str, Any], now: datetime) -> list[str]:
    reasons = []
    departed, arrived, restored = (_time(reply, n) for n in ("departed_at", "arrived_at", "restored_at"))
    if arrived and departed and arrived < departed:
        reasons.append("到达时间早于出发时间 / arrival before departure")
    if restored and arrived and restored < arrived:
        reasons.append("复电时间早于到达时间 / restoration before arrival")
    for name in ("departed_at", "arrived_at", "restored_at", "customer_contacted_at"):
        value = _time(reply, name)
        if value and not order.created_at <= value <= now:
            reasons.append(f"{name} 不在工单有效期内 / {name} outside the order's life")
    return reasons


def _classification(order: WorkOrder, reply: dict[str, Any], fit: dict[str, list[str]]) -> list[str]:
    level1 = (reply.get("fault_class") or {}).get("level1")
    if level1 is None:
        return []
    if reply.get("customer_side_fault") and level1 not in fit.get("$customer_side", [level1]):
        return ["客户内部故障的分类不符 / classification does not fit a customer-side fault"]
    allowed = fit.get(order.sub_type or "", [])
    if allowed and level1 not in allowed:
        return [f"故障分类“{level1}”与故障类型不符 / classification does not fit the fault type"]
    return []


def audit_reply(order: WorkOrder, now: datetime, fit: dict[str, list[str]]) -> list[str]:
    """The reasons the reply fails (empty when it passes). `fit`: sub-type → allowed level-1 classes."""
    reply = order.reply or {}
    if not reply:
        return ["未提交回单 / no reply submitted"]
    if order.business_type == "fault_repair":
        # A repair is audited on its repair facts whichever way it was answered (a plain reply skips nothing).
        reasons = [f"缺少必填项 {n} / required field {n} missing" for n in missing_repair_fields(reply) if n != "restored_at"]
        if "restored_at" in missing_repair_fields(reply):
            reasons.append("缺少复电时间 / restoration time missing")
        return reasons + _times(order, reply, now) + _classification(order, reply, fit)
    reasons = _missing(reply, REPLY_REQUIRED)
    if order.business_type == "complaint" and not reply.get("customer_contacted_at"):
        reasons.append("投诉回单缺少联系客户时间 / complaint reply lacks the customer-contact time")
    return reasons + _times(order, reply, now)
