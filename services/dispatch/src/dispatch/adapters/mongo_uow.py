"""Writes that carry their events (`servicekit.outbox`), and the unit of work over the MongoDB repositories.

A write's events are staged (stamped into the document or its update) before it is sent; once the
server answers they are committed to the relay (the document was stored) or discarded (refused,
not matched, or failed), so the relay publishes exactly the events of stored documents.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from dispatch.ports import DispatchUnitOfWork
from servicekit.outbox import OutboxRelay, Staged


def settle(outbox: OutboxRelay, staged: Staged | None, *, stored: bool) -> None:
    """After the write: publish its events if the document was stored, else forget them."""
    if staged is not None:
        (outbox.commit if stored else outbox.discard)(staged)


async def written(outbox: OutboxRelay, staged: Staged | None, write: Awaitable[Any]) -> Any:
    """Await one single-document write carrying `staged`, then commit (matched) or discard (not matched, failed).

    The write and its settling run on to the end even if the caller is cancelled meanwhile: a write
    that lands after its caller left still has its events published.
    """
    if staged is None:
        return await write

    async def run() -> Any:
        try:
            result = await write
        except BaseException:
            settle(outbox, staged, stored=False)
            raise
        settle(outbox, staged, stored=getattr(result, "matched_count", 1) == 1)
        return result

    return await asyncio.shield(asyncio.ensure_future(run()))


class MongoUnitOfWork(DispatchUnitOfWork):
    """The unit of work over the MongoDB repositories: each staged write is one insert or update with its events."""
