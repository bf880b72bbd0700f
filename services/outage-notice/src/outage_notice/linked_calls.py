"""Calls linked to an outage (来电关联停电): counted per outage, and told of the restoration with everyone else, once.

Intake links a repair call from inside a published outage and answers the caller with the outage's
cause and estimated restoration on the call itself (that is the caller's notice at link: nothing
more is sent then). At restoration the outage's affected customers are told; a caller outside the
directory's scope (matched by the area text) is added, and one inside it is not told twice: the
notice ledger keeps one notice per (outage, customer, purpose, channel).
"""

from __future__ import annotations

from outage_notice.commands import RecordLinkedCall
from outage_notice.deps import Deps
from outage_notice.domain.notices import Recipient


async def record_linked_call(tenant: str, cmd: RecordLinkedCall, *, deps: Deps) -> bool:
    """Count the call once per ticket; returns whether it was new."""
    return await deps.calls.record(tenant, cmd.outage_id, cmd.ticket_id, cmd.account_no, cmd.at)


async def with_callers(tenant: str, outage_id: str, affected: list[Recipient], *, deps: Deps) -> list[Recipient]:
    """The affected customers plus the outage's callers not among them, each once."""
    known = {r.account_no for r in affected}
    missing = [a for a in await deps.calls.callers(tenant, outage_id) if a not in known]
    return affected + (await deps.directory.recipients(tenant, missing) if missing else [])
