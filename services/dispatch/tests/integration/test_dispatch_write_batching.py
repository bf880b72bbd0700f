"""Real SecantusDB: tickets handled together share their writes, yet each keeps its own outcome; crew counts stay right."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from pymongo import AsyncMongoClient

from dispatch.adapters.mongo import MongoOrders
from dispatch.domain.model import State, WorkOrder
from dispatch.ports import DuplicateOrder
from dispatch.settings import Settings
from servicekit.mongo import TenantDatabases

pytestmark = pytest.mark.integration
T = "370102"


@pytest.fixture
async def dbs(mongo_uri, unique_name):
    settings = Settings(mongo_uri=mongo_uri, mongo_db_prefix=f"t{unique_name}", hosted_tenants=[T])
    client = AsyncMongoClient(mongo_uri, tz_aware=True)
    yield TenantDatabases(client, settings)
    await client.close()


def order(ticket_id: str, crew: str | None = None, state: State = State.DISPATCHED) -> WorkOrder:
    return WorkOrder(tenant=T, ticket_id=ticket_id, business_type="fault_repair", created_at=datetime.now(UTC),
                     responsible_unit=T, first_contact_owner="agent:u-37-0001", station_code="S01", crew_code=crew,
                     state=state)


async def outcome(orders: MongoOrders, o: WorkOrder) -> str:
    try:
        await orders.insert(o)
    except DuplicateOrder:
        return "duplicate"
    return "stored"


async def test_orders_stored_together_each_get_their_own_result(dbs):
    orders = MongoOrders(dbs)
    await orders.ensure_indexes(T)
    await orders.insert(order("T-0"))
    batch = [order("T-1"), order("T-0"), order("T-2"), order("T-1"), order("T-3")]
    results = await asyncio.gather(*(outcome(orders, o) for o in batch))
    assert results == ["stored", "duplicate", "stored", "duplicate", "stored"]
    stored = sorted([d["ticket_id"] async for d in dbs.for_tenant(T)["work_orders"].find({"tenant": T})])
    assert stored == ["T-0", "T-1", "T-2", "T-3"]


async def test_crew_workload_counts_active_orders_per_crew_and_own_assignments(dbs):
    orders = MongoOrders(dbs)
    orders.WORKLOAD_CACHE_SECONDS = 0.0  # every count is stale at once: each call re-reads in the background
    await orders.ensure_indexes(T)
    for i, (crew, state) in enumerate([("C1", State.DISPATCHED), ("C1", State.ON_SITE), ("C1", State.REPAIRED),
                                       ("C2", State.ACCEPTED), ("C3", State.CLOSED), ("C1", State.SUSPENDED)]):
        await orders.insert(order(f"W-{i}", crew, state))
    assert await orders.workload(T, ["C1", "C2", "C3", "C4"]) == {"C1": 3, "C2": 1, "C3": 0, "C4": 0}
    await orders.insert(order("W-new", "C2"))  # this process's own assignment counts at once
    assert (await orders.workload(T, ["C2"]))["C2"] == 2
    await dbs.for_tenant(T)["work_orders"].update_many({"crew_code": "C1"}, {"$set": {"state": "closed"}})
    counts = [(await orders.workload(T, ["C1"]))["C1"]]  # the stale count answers; the re-read lands later
    for _ in range(100):
        await asyncio.sleep(0.02)
        counts.append((await orders.workload(T, ["C1"]))["C1"])
        if counts[-1] == 0:
            break
    assert counts[0] == 3 and counts[-1] == 0
