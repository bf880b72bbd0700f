"""Audit records buffered and written with insert_many (审计): same documents as servicekit's AuditLog, far fewer round trips."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import BulkWriteError

from servicekit import correlation
from servicekit.auth import Principal
from servicekit.mongo import TenantDatabases

log = logging.getLogger(__name__)
COLLECTION = "audit_log"


DUPLICATE_KEY = 11000


class BufferedAudit:
    """Order creation is the hot path: a few insert_many per tenant per flush instead of one insert per order.

    Each insert carries at most `chunk` records: one large insert holds SecantusDB long enough to
    show in the orders' latency (measured: flushing once a second instead of every 50 ms doubled
    intake's p99 at half load).
    """

    def __init__(self, dbs: TenantDatabases, service: str, *, chunk: int = 64) -> None:
        self.dbs = dbs
        self.service = service
        self.chunk = chunk
        self._pending: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def record(self, tenant: str, *, actor: Principal | None, action: str, target: str, result: str, detail: dict[str, Any] | None = None) -> None:
        self._pending[tenant].append({
            "tenant": tenant, "at": datetime.now(UTC), "service": self.service,
            "actor": actor.subject if actor else None, "actor_tenant": actor.tenant if actor else None,
            "roles": sorted(actor.roles) if actor else [], "action": action, "target": target, "result": result,
            "correlation_id": correlation.current(), "detail": detail or {},
        })

    async def flush(self) -> None:
        pending, self._pending = self._pending, defaultdict(list)
        tenants = list(pending.items())
        for index, (tenant, docs) in enumerate(tenants):
            for start in range(0, len(docs), self.chunk):
                try:
                    await self.dbs.for_tenant(tenant)[COLLECTION].insert_many(docs[start : start + self.chunk], ordered=False)
                except Exception as exc:
                    # Keep what is not stored for the next flush: the rest of this tenant and every tenant after it.
                    self._pending[tenant][:0] = _not_stored(docs[start : start + self.chunk], exc) + docs[start + self.chunk :]
                    for later, rest in tenants[index + 1 :]:
                        self._pending[later][:0] = rest
                    raise

    async def run(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.flush()
            except Exception as exc:  # noqa: BLE001 - database away: records stay pending
                log.warning("audit flush failed", extra={"error": repr(exc)})


def _not_stored(chunk: list[dict[str, Any]], exc: Exception) -> list[dict[str, Any]]:
    """The records of a failed insert to write again (a duplicate key means it was stored by an earlier try)."""
    if not isinstance(exc, BulkWriteError):
        return chunk
    # Unordered insert: the records without an error were stored; only the other failures go again.
    failed = {e["index"] for e in exc.details.get("writeErrors", []) if e.get("code") != DUPLICATE_KEY}
    return [doc for i, doc in enumerate(chunk) if i in failed]
