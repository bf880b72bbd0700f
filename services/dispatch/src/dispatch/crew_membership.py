"""班组归属: a crew may report on an order only if it is the order's crew, or (none yet) one of the owning unit's crews."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dispatch.commands import AcceptByCrew, CrewStep
from dispatch.domain.model import WorkOrder
from servicekit.errors import AppError, FieldError, conflict

if TYPE_CHECKING:
    from dispatch.deps import Deps


async def check_crew(order: WorkOrder, cmd: CrewStep, deps: Deps) -> None:
    """Refuse a crew other than the assigned one (crew_mismatch) or outside the owning unit (crew_not_of_unit, 409).

    The unit's crews come from the crew directory (seeded `crews`, cached). An acceptance by a crew of the
    unit on an order without one makes it the order's crew.
    """
    code = cmd.crew_code
    if not code:
        return
    if order.crew_code:
        if code != order.crew_code:
            raise conflict(f"工单已派给班组 {order.crew_code}", f"order is assigned to crew {order.crew_code}", code="crew_mismatch")
        return
    unit = order.owner_unit
    if code not in {c for codes in (await deps.crews.stations(unit)).values() for c in codes}:
        zh, en = f"班组 {code} 不属于工单责任单位 {unit}", f"crew {code} does not belong to the order's unit {unit}"
        raise AppError(zh, en, code="crew_not_of_unit", fields=[FieldError("crew_code", zh, en)], status=409)
    if isinstance(cmd, AcceptByCrew):
        order.crew_code = code
