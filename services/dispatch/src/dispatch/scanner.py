"""The periodic time-limit scanner: every hosted tenant, every interval, until cancelled."""

from __future__ import annotations

import asyncio
import logging

from dispatch.commands import ScanTimeLimits
from dispatch.deps import Deps
from dispatch.outage_settlement import settle_stragglers
from dispatch.timing import scan_tenant
from servicekit.runtime import Runtime

log = logging.getLogger(__name__)


async def run_scanner(runtime: Runtime, deps: Deps, interval: float) -> None:
    while not runtime.hooks_done:  # noqa: ASYNC110 - indexes and default rules first; a flag Runtime.start sets once
        await asyncio.sleep(0.2)
    while True:
        for tenant in runtime.settings.hosted_tenants:
            try:
                await settle_stragglers(tenant, deps=deps)  # waiting on an outage whose end was already handled
                await scan_tenant(tenant, ScanTimeLimits(), deps=deps)
            except asyncio.CancelledError:
                raise
            except Exception:  # one tenant's failure must not stop the others' clocks
                log.exception("time-limit scan failed", extra={"tenant": tenant})
        await asyncio.sleep(interval)
