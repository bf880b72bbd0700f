"""Loading the demo province into SecantusDB: complete, indexed, idempotent."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import pytest_asyncio
from pymongo import AsyncMongoClient

from devstack.seed import build_demo_province, load_demo_province
from devstack.seed.load import _normal
from devstack.seed.model import ORG_UNITS, SPECS

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]

START = date(2026, 12, 1)
# Small enough for a shared 2-core machine; the grid (≥ 1,000 areas) is full size regardless.
CUSTOMERS = 1_500


@pytest_asyncio.fixture
async def client(mongo_uri):
    client = AsyncMongoClient(mongo_uri)
    yield client
    await client.close()


@pytest.fixture
def prefix():
    return f"seedtest{uuid.uuid4().hex[:8]}"


async def _stored(client, prefix, data):
    """Every seeded collection as {tenant: {collection: [doc without _id]}}, plus org units."""
    out = {"platform": {"org_units": await _docs(client[f"{prefix}_platform"]["org_units"])}}
    for tenant, collections in data.tenants.items():
        db = client[f"{prefix}_{tenant}"]
        out[tenant] = {name: await _docs(db[name]) for name in collections}
    return out


async def _docs(coll):
    return [_normal({k: v for k, v in d.items() if k != "_id"}) async for d in coll.find()]


def _expected(data):
    out = {"platform": {"org_units": _normal(data.org_unit_docs())}}
    for tenant, collections in data.tenants.items():
        out[tenant] = {name: _normal(docs) for name, docs in collections.items()}
    return out


def _same(stored, expected):
    def keyed(docs, spec):
        return sorted(docs, key=lambda d: tuple(str(d.get(f)) for f in spec.key))

    for tenant, collections in expected.items():
        for name, docs in collections.items():
            spec = ORG_UNITS if name == "org_units" else SPECS[name]
            assert keyed(stored[tenant][name], spec) == keyed(docs, spec), (tenant, name)


async def test_loading_twice_leaves_exactly_the_seeded_documents(client, prefix):
    data = build_demo_province(customers=CUSTOMERS, start_date=START)
    steps = []

    first = await load_demo_province(client, data, db_prefix=prefix, progress=lambda *a: steps.append(a))
    second = await load_demo_province(client, data, db_prefix=prefix)

    _same(await _stored(client, prefix, data), _expected(data))
    assert not first.skipped and first.written["customers"] == CUSTOMERS
    assert second.skipped and not second.written
    assert second.counts == first.counts == data.counts()
    assert [s for s in dict.fromkeys(step for step, *_ in steps)] == [
        "org_units", "topology", "customers", "crews", "rosters", "users"
    ]
    customer_steps = [done for step, done, _ in steps if step == "customers"]
    assert customer_steps[0] == 0 and customer_steps[-1] == CUSTOMERS and len(customer_steps) >= CUSTOMERS // 1000


async def test_indexes_lead_with_tenant_and_reject_duplicates(client, prefix):
    data = build_demo_province(customers=CUSTOMERS, start_date=START)
    await load_demo_province(client, data, db_prefix=prefix)

    customers = client[f"{prefix}_370102"]["customers"]
    indexes = await customers.index_information()
    keys = {tuple(f for f, _ in ix["key"]): ix.get("unique", False) for name, ix in indexes.items() if name != "_id_"}
    assert keys == {
        ("tenant", "account_no"): True,
        ("tenant", "phone"): False,
        ("tenant", "ta_code"): False,
        ("tenant", "feeder_code"): False,
        ("tenant", "station_code"): False,
    }
    rosters = await client[f"{prefix}_370124"]["crew_rosters"].index_information()
    assert any(tuple(f for f, _ in ix["key"]) == ("tenant", "crew_code", "date", "shift") for ix in rosters.values())
    users = await client[f"{prefix}_37"]["users"].index_information()
    assert any(tuple(f for f, _ in ix["key"]) == ("tenant", "user_id") and ix.get("unique") for ix in users.values())
    with pytest.raises(Exception) as err:
        await customers.insert_one(dict(data.docs("370102", "customers")[0]))
    assert getattr(err.value, "code", None) == 11000


async def test_a_damaged_or_changed_seed_is_repaired_in_place(client, prefix):
    data = build_demo_province(customers=CUSTOMERS, start_date=START)
    await load_demo_province(client, data, db_prefix=prefix)
    customers = client[f"{prefix}_370102"]["customers"]
    victims = [c["account_no"] for c in data.docs("370102", "customers")[:5]]
    await customers.delete_many({"tenant": "370102", "account_no": {"$in": victims[:3]}})
    await customers.update_one({"tenant": "370102", "account_no": victims[4]}, {"$set": {"name": "改过的"}})

    repaired = await load_demo_province(client, data, db_prefix=prefix)  # documents went missing
    assert not repaired.skipped and repaired.written == {"customers": 4}
    _same(await _stored(client, prefix, data), _expected(data))

    smaller = build_demo_province(customers=CUSTOMERS - 100, start_date=START)
    changed = await load_demo_province(client, smaller, db_prefix=prefix)
    assert not changed.skipped and changed.deleted["customers"] >= 100
    assert "stations" not in changed.written  # unchanged collections are left alone
    _same(await _stored(client, prefix, smaller), _expected(smaller))
    assert (await load_demo_province(client, smaller, db_prefix=prefix)).skipped
