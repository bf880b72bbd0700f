"""The in-memory index of current (published or started) outages per tenant, for fast lookups."""

from __future__ import annotations

from outage_notice.domain.outage import CURRENT_STATES, Outage
from outage_notice.metrics import OutageMetrics
from outage_notice.ports import OutageReader


class OutageIndex:
    """当前停电索引: loaded once per tenant, updated by this process's own changes, reloaded by the scheduler.

    Lookups answer from memory so an account lookup costs one indexed customer read.
    """

    def __init__(self, repo: OutageReader, metrics: OutageMetrics | None = None) -> None:
        self.repo = repo
        self.metrics = metrics
        self._by_tenant: dict[str, dict[str, Outage]] = {}

    async def current(self, tenant: str) -> list[Outage]:
        if tenant not in self._by_tenant:
            await self.reload(tenant)
        return list(self._by_tenant[tenant].values())

    async def reload(self, tenant: str) -> None:
        self._by_tenant[tenant] = {o.outage_id: o for o in await self.repo.current(tenant)}
        self._report(tenant)

    def put(self, outage: Outage) -> None:
        table = self._by_tenant.setdefault(outage.tenant, {})
        if outage.state in CURRENT_STATES:
            table[outage.outage_id] = outage
        else:
            table.pop(outage.outage_id, None)
        self._report(outage.tenant)

    def _report(self, tenant: str) -> None:
        if self.metrics is not None:
            self.metrics.current(tenant, self._by_tenant[tenant].values())
