"""The append-only audit log per tenant: who did what to which target, when, and whether it was allowed (审计)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from servicekit import correlation
from servicekit.auth import Principal
from servicekit.mongo import TenantDatabases

COLLECTION = "audit_log"


class AuditLog:
    """Only inserts, never updates or deletes: a refused attempt is recorded like a granted one."""

    def __init__(self, dbs: TenantDatabases, service: str) -> None:
        self.dbs = dbs
        self.service = service

    async def record(
        self,
        tenant: str,
        *,
        actor: Principal | None,
        action: str,
        target: str,
        result: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """`result` is "ok", or the refusal's code (e.g. "forbidden", "not_found", "token_expired")."""
        await self.dbs.for_tenant(tenant)[COLLECTION].insert_one(
            {
                "tenant": tenant,
                "at": datetime.now(UTC),
                "service": self.service,
                "actor": actor.subject if actor else None,
                "actor_tenant": actor.tenant if actor else None,
                "roles": sorted(actor.roles) if actor else [],
                "action": action,
                "target": target,
                "result": result,
                "correlation_id": correlation.current(),
                "detail": detail or {},
            }
        )

    async def query(self, tenant: str, *, limit: int = 100, action: str | None = None) -> list[dict[str, Any]]:
        filt: dict[str, Any] = {"tenant": tenant}
        if action:
            filt["action"] = action
        cursor = self.dbs.for_tenant(tenant)[COLLECTION].find(filt, {"_id": 0}).sort("at", -1).limit(limit)
        return [doc async for doc in cursor]
