"""The scheduler loop (定时任务): re-notices, due deliveries and index refresh, driven by an injectable clock."""

from __future__ import annotations

import asyncio
import logging

from outage_notice.commands import DeliverDueNotices, QueueRenotices
from outage_notice.deps import Deps
from outage_notice.notify import deliver_due, queue_renotices

log = logging.getLogger(__name__)


async def tick(tenants: list[str], *, deps: Deps, batch: int) -> dict[str, int]:
    """One pass over every hosted tenant; returns notices queued and sent (tests call this with a fake clock)."""
    totals = {"renotices": 0, "sent": 0}
    for tenant in tenants:
        await deps.index.reload(tenant)
        totals["renotices"] += await queue_renotices(tenant, QueueRenotices(), deps=deps)
        while True:
            sent = await deliver_due(tenant, DeliverDueNotices(limit=batch), deps=deps)
            totals["sent"] += sent
            if sent < batch:
                break
    return totals


async def run_forever(tenants: list[str], *, deps: Deps, interval: float, batch: int) -> None:
    """Never dies on one failed pass: the next tick tries again (the database may be restarting)."""
    while True:
        try:
            await tick(tenants, deps=deps, batch=batch)
        except asyncio.CancelledError:
            raise
        except Exception:  # logged and retried next interval
            log.exception("outage scheduler tick failed")
        await asyncio.sleep(interval)
