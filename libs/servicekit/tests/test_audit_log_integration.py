"""The audit log on a real database, and events refused for an unhosted tenant: dead-lettered and audited."""

from datetime import UTC, datetime, timedelta

import pytest

from hotline_contracts import make_event
from hotline_contracts.registry import spec_for_topic
from servicekit.audit import COLLECTION, audit_bucket
from servicekit.auth import Principal
from servicekit.runtime import Runtime
from servicekit.settings import ServiceSettings
from servicekit.tenancy import load_org_tree

pytestmark = pytest.mark.integration


@pytest.fixture
async def runtime(mongo_uri, unique_name):
    settings = ServiceSettings(
        service_name=f"kit-{unique_name}", mongo_uri=mongo_uri, mongo_db_prefix=f"t{unique_name}", hosted_tenants=["37", "370102"]
    )
    rt = Runtime.build(settings)
    yield rt
    await rt.mongo.close()


async def test_entries_are_per_tenant_newest_first_and_filterable(runtime):
    agent = Principal(subject="u-37-0001", tenant="37", roles=frozenset({"agent"}))
    await runtime.audit.record("370102", actor=agent, action="widget.create", target="T1", result="ok")
    runtime.audit.record_refusal("370102", actor=agent, action="widget.read", target="T2", result="not_found")
    await runtime.audit.drain()
    entries = await runtime.audit.query("370102")
    assert [e["target"] for e in entries] == ["T2", "T1"]
    assert [e["target"] for e in await runtime.audit.query("370102", result="refused")] == ["T2"]
    assert await runtime.audit.query("37") == []


async def test_bucketed_entries_read_like_single_ones_filtered_one_by_one_and_interleaved_by_time(runtime):
    base = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)

    def entry(second: int, target: str, result: str = "ok", action: str = "widget.create") -> dict:
        return {"tenant": "370102", "at": base + timedelta(seconds=second), "service": "intake", "actor": "u-1", "actor_tenant": "37",
                "roles": ["agent"], "action": action, "target": target, "result": result, "correlation_id": None, "detail": {}}

    col = runtime.dbs.for_tenant("370102")[COLLECTION]
    await col.insert_one(entry(2, "single-2", result="forbidden", action="widget.read"))
    await col.insert_one(audit_bucket("370102", "intake", [entry(1, "b-1"), entry(3, "b-3", result="not_found"), entry(5, "b-5")]))
    await col.insert_one(entry(4, "single-4"))
    await col.insert_one(audit_bucket("370102", "intake", [entry(6, "c-6")]))

    assert [e["target"] for e in await runtime.audit.query("370102")] == ["c-6", "b-5", "single-4", "b-3", "single-2", "b-1"]
    assert [e["target"] for e in await runtime.audit.query("370102", limit=2)] == ["c-6", "b-5"]
    assert [e["target"] for e in await runtime.audit.query("370102", result="refused")] == ["b-3", "single-2"]
    assert [e["target"] for e in await runtime.audit.query("370102", action="widget.create", since=base + timedelta(seconds=3))] == \
        ["c-6", "b-5", "single-4", "b-3"]
    assert [e["target"] for e in await runtime.audit.query("370102", since=base + timedelta(seconds=5, milliseconds=1))] == ["c-6"]
    [one] = await runtime.audit.query("370102", result="not_found")
    assert one == entry(3, "b-3", result="not_found") | {"at": one["at"]} and "_id" not in one


async def test_an_event_for_a_tenant_not_hosted_is_dead_lettered_and_audited(runtime, ticket_created):
    published = []

    class Capture:
        async def publish(self, envelope):
            published.append(envelope)

        metrics = runtime.metrics

    runtime.dead_letters.publisher = Capture()  # type: ignore[assignment]
    runtime.dead_letters.audit = runtime.audit
    spec = spec_for_topic("ticket.created.v1")
    envelope = make_event(ticket_created, tenant="370202", source="/hotline/intake", subject=ticket_created.ticket_id)

    async def never(_):
        raise AssertionError("a refused event must not reach the handler")

    result = await runtime.consumer("kit").consume(spec, envelope.model_dump_json().encode(), never)
    await runtime.audit.drain()
    assert result == "dead_lettered" and published[0].data.reason == "tenant_not_hosted"
    [entry] = await runtime.audit.query("37")
    assert (entry["actor"], entry["result"], entry["target"]) == (None, "tenant_not_hosted", envelope.id)
    assert entry["detail"]["claimed_tenant"] == "370202"


async def test_the_org_tree_loads_from_the_platform_database(runtime):
    await runtime.dbs.platform()["org_units"].insert_many(
        [
            {"code": "37", "name": "山东", "level": "province", "parent_code": None},
            {"code": "3701", "name": "济南", "level": "city", "parent_code": "37"},
            {"code": "370102", "name": "历下", "level": "county", "parent_code": "3701"},
        ]
    )
    tree = await load_org_tree(runtime.dbs.platform(), runtime.settings)
    assert tree.within("37") == ["37", "3701", "370102"]
