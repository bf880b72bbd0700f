"""The append-only audit log per tenant: who did what to which target, when, and whether it was allowed (审计)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from fastapi import APIRouter, Depends, Query, Request
from prometheus_client import CollectorRegistry, Counter
from pydantic import BaseModel, Field

from hotline_contracts.tenancy import TENANT_CODE_PATTERN
from servicekit import correlation
from servicekit.access import AccessRefused, Permissions
from servicekit.auth import Principal, current_principal
from servicekit.errors import AppError
from servicekit.mongo import TenantDatabases

COLLECTION = "audit_log"
MAX_QUERY = 1000
REFUSAL_WRITE_TIMEOUT = 2.0  # seconds; a refusal's audit entry is written off the request path
MAX_PENDING_REFUSALS = 500  # beyond this a flood of refused requests is counted, not queued

log = logging.getLogger(__name__)


def audit_entry(
    service: str, tenant: str, *, actor: Principal | None, action: str, target: str, result: str, detail: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One audit entry as stored (alone, or inside an `audit_bucket`)."""
    return {
        "tenant": tenant,
        "at": datetime.now(UTC),
        "service": service,
        "actor": actor.subject if actor else None,
        "actor_tenant": actor.tenant if actor else None,
        "roles": sorted(actor.roles) if actor else [],
        "action": action,
        "target": target,
        "result": result,
        "correlation_id": correlation.current(),
        "detail": detail or {},
    }


def audit_bucket(tenant: str, service: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """审计批: entries of one tenant, oldest first, stored as one document.

    For a service that writes an entry per order: one document, and one `_id` index entry, per
    batch instead of per entry (on SecantusDB each stored document costs about as much again as
    the order it records). `at`/`until` bound the entries' times so a `since` query can skip
    whole buckets; the `_id` is fixed here so a retried insert cannot store the bucket twice.
    """
    if not entries:
        raise ValueError("an audit bucket holds at least one entry")
    return {"_id": ObjectId(), "tenant": tenant, "service": service, "at": entries[0]["at"], "until": entries[-1]["at"], "entries": entries}


def _query_pipeline(tenant: str, match: dict[str, Any], since: datetime | None, limit: int) -> list[dict[str, Any]]:
    """Single entries and the entries of buckets, filtered and newest first, as one list."""
    first: dict[str, Any] = {"tenant": tenant}
    if since:
        first["$or"] = [{"until": {"$gte": since}}, {"entries": {"$exists": False}, "at": {"$gte": since}}]
        match = {**match, "at": {"$gte": since}}
    return [
        {"$match": first},
        {"$unwind": {"path": "$entries", "preserveNullAndEmptyArrays": True}},
        {"$replaceRoot": {"newRoot": {"$ifNull": ["$entries", "$$ROOT"]}}},
        {"$match": match},
        {"$sort": {"at": -1}},
        {"$limit": limit},
        {"$project": {"_id": 0}},
    ]


class AuditLog:
    """Only inserts, never updates or deletes: a refused attempt is recorded like a granted one."""

    def __init__(self, dbs: TenantDatabases, service: str) -> None:
        self.dbs = dbs
        self.service = service
        self._pending: set[asyncio.Task[None]] = set()
        self._failures: Counter | None = None

    def bind_metrics(self, registry: CollectorRegistry) -> None:
        """Count audit writes that failed or were dropped (`hotline_audit_write_failures_total`)."""
        if self._failures is None:
            self._failures = Counter(
                "hotline_audit_write_failures", "Audit entries that could not be written", ["service", "reason"], registry=registry
            )

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
        await self.dbs.for_tenant(tenant)[COLLECTION].insert_one(self._entry(tenant, actor, action, target, result, detail))

    def record_refusal(
        self,
        tenant: str,
        *,
        actor: Principal | None,
        action: str,
        target: str,
        result: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Best effort and off the request path: a refusal must never become slow or a 500 because of its audit."""
        if len(self._pending) >= MAX_PENDING_REFUSALS:
            self._failed("backlog")
            return
        entry = self._entry(tenant, actor, action, target, result, detail)
        task = asyncio.get_running_loop().create_task(self._write(tenant, entry))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        """Wait for refusal entries still being written (tests, shutdown)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def _write(self, tenant: str, entry: dict[str, Any]) -> None:
        try:
            await asyncio.wait_for(self.dbs.for_tenant(tenant)[COLLECTION].insert_one(entry), REFUSAL_WRITE_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - best effort by design; counted and logged
            self._failed("timeout" if isinstance(exc, TimeoutError) else "error")
            log.warning("audit entry not written", extra={"tenant": tenant, "error": type(exc).__name__})

    def _failed(self, reason: str) -> None:
        if self._failures is not None:
            self._failures.labels(self.service, reason).inc()

    def _entry(
        self, tenant: str, actor: Principal | None, action: str, target: str, result: str, detail: dict[str, Any] | None
    ) -> dict[str, Any]:
        return audit_entry(self.service, tenant, actor=actor, action=action, target=target, result=result, detail=detail)

    async def query(
        self,
        tenant: str,
        *,
        limit: int = 100,
        action: str | None = None,
        result: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """Newest first, single entries and bucketed ones alike; `result="refused"` selects every entry that is not "ok"."""
        filt: dict[str, Any] = {"tenant": tenant}
        if action:
            filt["action"] = action
        if result == "refused":
            filt["result"] = {"$ne": "ok"}
        elif result:
            filt["result"] = result
        if actor:
            filt["actor"] = actor
        pipeline = _query_pipeline(tenant, filt, since, min(limit, MAX_QUERY))
        cursor = await self.dbs.for_tenant(tenant)[COLLECTION].aggregate(pipeline)
        return [doc async for doc in cursor]


class MemoryAuditLog:
    """`AuditLog`'s in-memory fake for unit tests: `record` stores the same entry, `query` reads a tenant's newest first."""

    def __init__(self, service: str = "test") -> None:
        self.service = service
        self.entries: list[dict[str, Any]] = []

    async def record(
        self, tenant: str, *, actor: Principal | None, action: str, target: str, result: str, detail: dict[str, Any] | None = None
    ) -> None:
        self.entries.append(audit_entry(self.service, tenant, actor=actor, action=action, target=target, result=result, detail=detail))

    async def query(self, tenant: str, *, limit: int = 100, action: str | None = None) -> list[dict[str, Any]]:
        found = [e for e in reversed(self.entries) if e["tenant"] == tenant and (action is None or e["action"] == action)]
        return found[:limit]


def refusal_tenant(hosted: list[str], *candidates: str | None) -> str:
    """Where a refusal is logged: the first hosted candidate (target, then caller), else the first hosted tenant."""
    for code in candidates:
        if code and code in hosted:
            return code
    return hosted[0]


def is_access_refusal(error: AppError) -> bool:
    """401 and 403 always; 404 only when it comes from the tree scope or an unhosted tenant, not a missing record."""
    if error.status in (401, 403):
        return True
    return error.status == 404 and (isinstance(error, AccessRefused) or error.code == "tenant_not_hosted")


def note_refusal(request: Request, error: AppError) -> None:
    """Queue the audit entry for a refused request; never raises (the refusal itself must go out unchanged)."""
    try:
        runtime = request.app.state.runtime
        principal: Principal | None = getattr(request.state, "principal", None)
        route = request.scope.get("route")
        action = getattr(error, "action", "") or f"{request.method} {getattr(route, 'path', 'unmatched')}"
        detail: dict[str, Any] = {"status": error.status, "method": request.method}
        if principal is None:
            detail["presented_subject"] = getattr(request.state, "presented_subject", None)
        tenant = refusal_tenant(
            runtime.settings.hosted_tenants, getattr(error, "tenant", None), principal.tenant if principal else None
        )
        runtime.audit.record_refusal(
            tenant, actor=principal, action=action, target=request.url.path, result=error.code, detail=detail
        )
    except Exception:  # auditing a refusal is best effort
        log.warning("refusal not audited", exc_info=True)


class AuditEntry(BaseModel):
    """审计记录: one entry of a tenant's audit log."""

    tenant: str
    at: datetime
    service: str
    actor: str | None = Field(description="用户ID，未通过认证时为空; null when the caller was not authenticated")
    actor_tenant: str | None = None
    roles: list[str] = []
    action: str = Field(examples=["record.read"])
    target: str = Field(examples=["/api/v1/records/370102-20261126-000001"])
    result: str = Field(examples=["not_found"], description="ok，或拒绝原因; ok, or the refusal code")
    correlation_id: str | None = None
    detail: dict[str, Any] = {}


class AuditPage(BaseModel):
    tenant: str
    entries: list[AuditEntry]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "tenant": "370102",
                    "entries": [
                        {
                            "tenant": "370102",
                            "at": "2026-11-26T01:31:12Z",
                            "service": "records",
                            "actor": "u-370202-0001",
                            "actor_tenant": "370202",
                            "roles": ["unit_staff"],
                            "action": "record.read",
                            "target": "/api/v1/records/370102-20261126-000001",
                            "result": "not_found",
                            "correlation_id": "c-1",
                            "detail": {"status": 404, "method": "GET"},
                        }
                    ],
                }
            ]
        }
    }


def audit_router(audit: AuditLog, permissions: Permissions, *, action: str) -> APIRouter:
    """`GET /api/v1/audit?tenant=`: supervisors read a tenant's log within their tree scope.

    `action` is the mounting service's own action for reading the log (declared in `permissions`;
    an undeclared one fails here, at start-up).
    """
    permissions.require(action)
    reading = action  # the query parameter below is also called `action`
    router = APIRouter(tags=["审计 audit"])

    @router.get("/api/v1/audit", summary="查询审计日志 / read a tenant's audit log", response_model=AuditPage)
    async def read_audit(
        tenant: str = Query(pattern=TENANT_CODE_PATTERN, examples=["370102"]),
        action: str | None = Query(default=None, max_length=64, examples=["record.read"]),
        result: str | None = Query(default=None, max_length=64, examples=["refused"], description="ok / refused / a code"),
        actor: str | None = Query(default=None, max_length=128),
        since: datetime | None = Query(default=None),
        limit: int = Query(default=100, ge=1, le=MAX_QUERY),
        principal: Principal = Depends(current_principal),
    ) -> dict[str, Any]:
        permissions.authorize(principal, reading, tenant, what=("租户", "tenant"))
        entries = await audit.query(tenant, limit=limit, action=action, result=result, actor=actor, since=since)
        return {"tenant": tenant, "entries": entries}

    return router
