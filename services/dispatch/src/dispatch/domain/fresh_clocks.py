"""Fresh clocks on reopen (重启重新计时): a reopened order is handled as if newly accepted at the reopen."""

from __future__ import annotations

from datetime import datetime

from dispatch.domain.model import WorkOrder

REOPENED = "reopened"
KEPT = ("created",)  # the first acceptance stays on record; every other milestone belongs to the last round


def restart_clocks(order: WorkOrder, at: datetime) -> None:
    """Every clock restarts at `at`: the last round's milestones and warning/breach marks are cleared.

    Without this a reopened order kept its first start and its marks, and was breached (and supervised)
    within a minute; `domain.clocks.clock_start` counts from the `reopened` milestone.
    """
    for name in [n for n in order.milestones if n not in KEPT]:
        del order.milestones[name]
    order.milestones[REOPENED] = at
    order.marks.clear()
