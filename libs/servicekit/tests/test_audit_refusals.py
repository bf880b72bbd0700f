"""Every refused request lands in the audit log, best effort: who, tenant, what, target, result."""

import httpx
import pytest
from fastapi import APIRouter, Depends
from prometheus_client import generate_latest

from devstack.devtoken import issue_token
from servicekit.access import Permissions, Role
from servicekit.audit import AuditLog, audit_router
from servicekit.auth import Principal, current_principal
from servicekit.http import create_http_app
from servicekit.runtime import Runtime

pytestmark = pytest.mark.unit

# A table of the test's own (the kit knows no service's actions): `log.read` plays the audit reader.
TABLE = Permissions(
    "kit-test",
    {
        "thing.read": {Role.SHIFT_LEADER, Role.CENTRE_DIRECTOR, Role.UNIT_STAFF, Role.SUPERVISION_CENTRE},
        "log.read": {Role.CENTRE_DIRECTOR, Role.SUPERVISION_CENTRE, Role.SYSTEM_MAINTAINER},
    },
)


class FakeCollection:
    def __init__(self, fail: bool = False) -> None:
        self.docs: list[dict] = []
        self.fail = fail

    async def insert_one(self, doc: dict) -> None:
        if self.fail:
            raise ConnectionError("database down")
        self.docs.append(dict(doc))

    async def aggregate(self, pipeline: list[dict]) -> "FakeCursor":
        """Only single entries are stored here, so unwinding buckets changes nothing; `$match` on plain fields and `$ne`."""
        docs = list(self.docs)
        for stage in pipeline:
            if "$match" in stage:
                docs = [d for d in docs if _matches(d, stage["$match"])]
            elif "$sort" in stage:
                docs.sort(key=lambda d: d["at"], reverse=True)
            elif "$limit" in stage:
                docs = docs[: stage["$limit"]]
        return FakeCursor(docs)


def _matches(doc: dict, filt: dict) -> bool:
    for key, want in filt.items():
        if isinstance(want, dict) and "$ne" in want:
            if doc.get(key) == want["$ne"]:
                return False
        elif doc.get(key) != want:
            return False
    return True


class FakeCursor:
    def __init__(self, docs: list[dict]) -> None:
        self.docs = docs

    def __aiter__(self):
        async def gen():
            for d in self.docs:
                yield d

        return gen()


class FakeDbs:
    def __init__(self, hosted: list[str], fail: bool = False) -> None:
        self.cols = {t: FakeCollection(fail) for t in hosted}

    def for_tenant(self, tenant: str) -> dict:
        return {"audit_log": self.cols[tenant]}


def _router() -> APIRouter:
    router = APIRouter()

    @router.get("/units/{code}/things")
    async def things(code: str, principal: Principal = Depends(current_principal)) -> dict:
        TABLE.authorize(principal, "thing.read", code)
        return {"code": code}

    return router


async def _client(kit_settings, fail: bool = False):
    runtime = Runtime.build(kit_settings)
    runtime.audit = AuditLog(FakeDbs(kit_settings.hosted_tenants, fail), "kit-test")  # type: ignore[arg-type]
    routers = [_router(), audit_router(runtime.audit, TABLE, action="log.read")]
    app = create_http_app(runtime, permissions=TABLE, title="kit", description="kit", routers=routers, start_dependencies=False)
    return runtime, httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kit")


def _bearer(issuer_dir, tenant: str, roles: list[str], **kw) -> dict:
    token = issue_token(issuer_dir / "dev-issuer-key.pem", subject=f"u-{tenant}", tenant=tenant, roles=roles, **kw)
    return {"Authorization": f"Bearer {token}"}


async def test_out_of_scope_read_is_logged_under_the_targeted_tenant(kit_settings, issuer_dir):
    runtime, client = await _client(kit_settings)
    async with client:
        response = await client.get("/units/370102/things", headers=_bearer(issuer_dir, "3702", ["unit_staff"]))
        assert response.status_code == 404
        await runtime.audit.drain()
        page = await client.get("/api/v1/audit", params={"tenant": "370102"}, headers=_bearer(issuer_dir, "37", ["supervision_centre"]))
    assert page.status_code == 200
    [entry] = page.json()["entries"]
    assert (entry["actor"], entry["actor_tenant"], entry["action"], entry["result"]) == ("u-3702", "3702", "thing.read", "not_found")
    assert entry["target"] == "/units/370102/things" and entry["at"]


async def test_a_bad_token_is_logged_under_the_first_hosted_tenant_with_its_claimed_subject_but_never_the_token(
    kit_settings, issuer_dir
):
    runtime, client = await _client(kit_settings)
    expired = _bearer(issuer_dir, "370102", ["unit_staff"], ttl_seconds=60, now=1_000_000)
    async with client:
        assert (await client.get("/units/370102/things", headers=expired)).status_code == 401
        await runtime.audit.drain()
    [entry] = runtime.audit.dbs.cols["37"].docs  # type: ignore[attr-defined]
    assert entry["actor"] is None and entry["result"] == "token_expired"
    assert entry["detail"]["presented_subject"] == "u-370102"
    assert expired["Authorization"].split()[1] not in repr(entry)


async def test_a_missing_role_is_403_and_logged(kit_settings, issuer_dir):
    runtime, client = await _client(kit_settings)
    async with client:
        response = await client.get("/api/v1/audit", params={"tenant": "37"}, headers=_bearer(issuer_dir, "37", ["agent"]))
        assert response.status_code == 403
        await runtime.audit.drain()
    [entry] = runtime.audit.dbs.cols["37"].docs  # type: ignore[attr-defined]
    assert (entry["actor"], entry["action"], entry["result"]) == ("u-37", "log.read", "role_required")


async def test_a_county_cannot_read_its_parents_audit_log(kit_settings, issuer_dir):
    _, client = await _client(kit_settings)
    async with client:
        response = await client.get("/api/v1/audit", params={"tenant": "37"}, headers=_bearer(issuer_dir, "370102", ["centre_director"]))
    assert response.status_code == 404


async def test_a_failing_audit_store_neither_changes_the_refusal_nor_goes_unnoticed(kit_settings, issuer_dir):
    runtime, client = await _client(kit_settings, fail=True)
    async with client:
        response = await client.get("/units/370102/things")
        assert response.status_code == 401 and response.json()["error"]["code"] == "missing_token"
        await runtime.audit.drain()
    exposition = generate_latest(runtime.metrics.registry).decode()
    assert 'hotline_audit_write_failures_total{reason="error",service="kit-test"} 1.0' in exposition


def test_the_audit_api_needs_its_action_declared_and_the_app_registers_the_table(kit_settings):
    runtime = Runtime.build(kit_settings)
    with pytest.raises(ValueError, match=r"unknown action 'audit\.peek': declare it in kit-test's permissions table"):
        audit_router(runtime.audit, TABLE, action="audit.peek")
    app = create_http_app(runtime, permissions=TABLE, title="kit", description="kit", start_dependencies=False)
    assert runtime.permissions is TABLE and app.state.permissions is TABLE
    with pytest.raises(ValueError, match="one permission table"):
        create_http_app(runtime, permissions=Permissions("other", {}), title="kit", description="kit", start_dependencies=False)
