"""Separation of duties around the reply (回单审核分离): the unit answers, 95598 audits, survey's visit closes.

Checks `outcomes.prepare` runs before the transition; each refusal is a 4xx in Chinese and English.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dispatch.domain.model import State, WorkOrder
from dispatch.domain.reply_audit import missing_repair_fields
from servicekit.errors import FieldError, conflict, invalid

AWAITING_VISIT = frozenset({State.REPLY_AUDITED, State.RETURN_VISIT})
REPAIR_FIELD_ZH = {
    "cause": "故障原因", "fault_class": "故障五级分类", "fault_class.level1": "故障一级分类", "departed_at": "出发时间",
    "arrived_at": "到达现场时间", "handler": "处理人", "restored_at": "复电时间（客户内部故障除外）",
}


def require_repair_facts(reply: Mapping[str, Any]) -> None:
    """A fault-repair reply carries its repair facts (arrival, cause, fault class, restoration), or 422 per field."""
    missing = missing_repair_fields(dict(reply))
    if missing:
        raise invalid("抢修工单回单须填写抢修信息", "a fault-repair reply must carry its repair facts", code="validation_failed",
                      fields=[FieldError(f"body.{name}", f"缺少{REPAIR_FIELD_ZH.get(name, name)}", f"{name} is required for a repair")
                              for name in missing])


def refuse_own_reply(order: WorkOrder, auditor: str) -> None:
    """Nobody audits a reply they submitted (the permission table keeps units away from audits altogether)."""
    reply = order.reply or {}
    if auditor in {reply.get("by"), reply.get("handler")}:
        raise conflict("不能审核本人提交的回单", "you cannot audit a reply you submitted", code="own_reply")


def refuse_close_before_visit(order: WorkOrder) -> None:
    """After the audit the order closes on survey's word (visit result, or no visit): never by hand before it."""
    if order.state in AWAITING_VISIT:
        raise conflict("工单待回访，回访完成后自动办结", "the order awaits its return visit and closes when the visit is recorded",
                       code="return_visit_pending")
