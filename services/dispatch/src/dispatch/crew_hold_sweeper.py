"""The periodic sweep of held crew reports: retry the overdue, dead-letter those that still cannot apply."""

from __future__ import annotations

import asyncio
import logging

from dispatch.crew_reports import expire_held
from dispatch.deps import Deps
from servicekit.runtime import Runtime

log = logging.getLogger(__name__)
REASON = "crew_event_out_of_order"


async def sweep_tenant(runtime: Runtime, tenant: str, deps: Deps) -> int:
    """One pass over a tenant; returns how many reports were dead-lettered (then released, so at least once)."""
    refused = await expire_held(tenant, deps=deps)
    for report, why in refused:
        zh = f"前序班组事件未在 {deps.crew_hold_seconds:.0f} 秒内到达，无法执行“{report.action}”（{why}）"
        en = f"'{report.action}' never became applicable: {why}"
        await runtime.dead_letters.send(
            topic=report.topic, payload=report.payload.encode(), reason=REASON, tenant=tenant,
            errors=[{"loc": "data.ticket_id", "msg": f"{zh} / {en}", "type": "predecessor_missing"}],
        )
        await deps.held.release(tenant, report.event_id)
    return len(refused)


async def run_hold_sweeper(runtime: Runtime, deps: Deps, interval: float) -> None:
    while not runtime.hooks_done:  # noqa: ASYNC110 - indexes first; a flag Runtime.start sets once
        await asyncio.sleep(0.2)
    while True:
        for tenant in runtime.settings.hosted_tenants:
            try:
                await sweep_tenant(runtime, tenant, deps)
            except asyncio.CancelledError:
                raise
            except Exception:  # one tenant's failure must not stop the others' sweep
                log.exception("held crew report sweep failed", extra={"tenant": tenant})
        await asyncio.sleep(interval)
