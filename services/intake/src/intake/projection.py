"""Use cases that keep intake's own views current: active outages and the customer registry (停电投影、客户档案).

Published, started and ended outages arrive on different topics, so in any order: a start or an end
that comes before the publication is kept and applies when it arrives (the projection's job).
"""

from __future__ import annotations

from intake.commands import KnowOutage, OutageCommand, RescopeOutage, StartOutage, UpsertCustomer
from intake.deps import Deps


async def apply_outage(tenant: str, cmd: OutageCommand, *, deps: Deps) -> None:
    """Fold one outage change into the projection; restored and cancelled outages stop linking calls."""
    projection = deps.outage_projection
    if isinstance(cmd, KnowOutage):
        await projection.save(tenant, cmd.outage)
    elif isinstance(cmd, RescopeOutage):
        await projection.patch(tenant, cmd.outage_id, dict(cmd.changes))
    elif isinstance(cmd, StartOutage):
        await projection.mark_started(tenant, cmd.outage_id)
    else:
        await projection.end(tenant, cmd.outage_id, cmd.state, cmd.at)
    deps.outages.invalidate(tenant)


async def upsert_customer(tenant: str, cmd: UpsertCustomer, *, deps: Deps) -> bool:
    """Store the record unless a newer one is already there; True when stored."""
    return await deps.customers.upsert(tenant, cmd.customer, cmd.updated_at)
