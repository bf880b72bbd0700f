"""First contact with the customer (首次联系客户): recorded by the unit over HTTP or by its apps as an event.

It stops the first-contact clock (a complaint's 24 h) at the time given. Without it the clock could only
be stopped by the reply: a customer called in hour 1 was still breached at hour 25.
"""

from __future__ import annotations

from dispatch.commands import RecordCustomerContact
from dispatch.deps import Deps
from dispatch.domain.fresh_clocks import REOPENED
from dispatch.domain.model import HistoryEntry, WorkOrder
from dispatch.service import commit, load
from servicekit.errors import FieldError, invalid

CONTACTED = "customer_contacted"  # the milestone the first-contact clock stops on


async def record_customer_contact(tenant: str, cmd: RecordCustomerContact, *, deps: Deps) -> WorkOrder:
    """Stamp the first contact of this round of handling; a later contact is kept in the history only."""
    now = deps.clock()
    at = cmd.at or now
    async with deps.uow(tenant) as uow:
        order = await load(uow, cmd.ticket_id)
        if not order.is_open:
            raise invalid("工单已办结", "order is already closed", code="order_closed")
        round_start = order.milestones.get(REOPENED, order.created_at)
        if not round_start <= at <= now:
            raise invalid("请求参数校验失败", "request validation failed", code="validation_failed", fields=[FieldError(
                "body.at", "联系时间须在本轮受理之后且不晚于现在", "the contact time must lie between the order's (re)opening and now")])
        first = CONTACTED not in order.milestones
        if first:
            order.milestones[CONTACTED] = at
        note = f"联系客户（{cmd.channel}）" + (f"：{cmd.note}" if cmd.note else "") + ("" if first else "（非首次）")
        entry = HistoryEntry(at=at, actor=cmd.actor, action=CONTACTED, from_state=order.state.value,
                             to_state=order.state.value, reason=note[:200])
        order.history.append(entry)
        uow.save_order(order, [entry])
        await commit(uow)
    return order
