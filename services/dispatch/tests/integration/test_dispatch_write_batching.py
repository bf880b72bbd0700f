"""Real SecantusDB: tickets handled together share their writes, yet each keeps its own outcome (and events); crew counts stay right."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from pymongo import AsyncMongoClient

from dispatch.adapters.mongo import MongoOrders
from dispatch.domain.model import State, WorkOrder
from dispatch.ports import DuplicateOrder, StaleOrder
from dispatch.settings import Settings
from hotline_contracts import make_event
from hotline_contracts.events.dispatch import TicketDispatchedV1
from servicekit.metrics import StandardMetrics
from servicekit.mongo import TenantDatabases
from servicekit.outbox import OutboxRelay

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


class Sent:
    """The relay's broker side: records what it was handed, acknowledged at once."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    async def __call__(self, entry: dict) -> asyncio.Future:
        self.ids.append(entry["id"])
        ack = asyncio.get_running_loop().create_future()
        ack.set_result(None)
        return ack


def relay(dbs: TenantDatabases, sent: Sent | None = None) -> OutboxRelay:
    return OutboxRelay(dbs=dbs, send=sent or Sent(), metrics=StandardMetrics.create("dispatch"), tenants=[T], owner="it")


def dispatched(o: WorkOrder):
    data = TicketDispatchedV1(ticket_id=o.ticket_id, to_unit=T, by="system:dispatch", at=o.created_at)
    return make_event(data, tenant=T, source="/hotline/dispatch", subject=o.ticket_id)


async def outcome(orders: MongoOrders, o: WorkOrder, events: list) -> str:
    try:
        await orders.insert(o, events)
    except DuplicateOrder:
        return "duplicate"
    return "stored"


async def test_orders_stored_together_each_get_their_own_result_and_only_stored_ones_their_events(dbs):
    sent = Sent()
    outbox = relay(dbs, sent)
    orders = MongoOrders(dbs, outbox)
    await orders.ensure_indexes(T)
    await orders.insert(order("T-0"), [])
    batch = [order("T-1"), order("T-0"), order("T-2"), order("T-1"), order("T-3")]
    events = [[dispatched(o)] for o in batch]
    results = await asyncio.gather(*(outcome(orders, o, ev) for o, ev in zip(batch, events, strict=True)))
    assert results == ["stored", "duplicate", "stored", "duplicate", "stored"]
    stored = sorted([d["ticket_id"] async for d in dbs.for_tenant(T)["work_orders"].find({"tenant": T})])
    assert stored == ["T-0", "T-1", "T-2", "T-3"]
    assert outbox.backlog() == 3  # the refused orders' events were discarded, the stored ones' wait for the relay
    await outbox.publish_batch()
    assert sent.ids == [events[i][0].id for i in (0, 2, 4)]
    doc = await dbs.for_tenant(T)["work_orders"].find_one({"ticket_id": "T-2"})
    assert [e["id"] for e in doc["outbox"]] == [events[2][0].id] and doc["outbox_owner"] == "it"
    read = await orders.get(T, "T-2")  # readers never see the outbox
    assert read.ticket_id == "T-2" and not hasattr(read, "outbox")


async def test_a_state_change_appends_its_events_in_the_same_update_and_a_stale_one_keeps_none(dbs):
    outbox = relay(dbs)
    orders = MongoOrders(dbs, outbox)
    await orders.ensure_indexes(T)
    first = order("S-1")
    await orders.insert(first, [dispatched(first)])
    mine, theirs = await orders.get(T, "S-1"), await orders.get(T, "S-1")
    mine.state = State.ACCEPTED
    await orders.save(mine, [], [dispatched(mine)])
    theirs.state = State.RETURNED
    with pytest.raises(StaleOrder):
        await orders.save(theirs, [], [dispatched(theirs)])
    doc = await dbs.for_tenant(T)["work_orders"].find_one({"ticket_id": "S-1"})
    assert (doc["state"], doc["version"], len(doc["outbox"])) == ("accepted", 1, 2)
    assert outbox.backlog() == 2
    marked = await orders.get(T, "S-1")
    await orders.save_marks(T, {"S-1": {"arrival": {"level": 1, "breached": False}}}, {"S-1": [dispatched(marked)]})
    doc = await dbs.for_tenant(T)["work_orders"].find_one({"ticket_id": "S-1"})
    assert doc["marks"] == {"arrival": {"level": 1, "breached": False}} and len(doc["outbox"]) == 3
    assert outbox.backlog() == 3 and (await orders.list_open(T))[0].marks["arrival"]["level"] == 1


async def test_crew_workload_counts_active_orders_per_crew_and_own_assignments(dbs):
    orders = MongoOrders(dbs, relay(dbs))
    orders.WORKLOAD_CACHE_SECONDS = 0.0  # every count is stale at once: each call re-reads in the background
    await orders.ensure_indexes(T)
    for i, (crew, state) in enumerate([("C1", State.DISPATCHED), ("C1", State.ON_SITE), ("C1", State.REPAIRED),
                                       ("C2", State.ACCEPTED), ("C3", State.CLOSED), ("C1", State.SUSPENDED)]):
        await orders.insert(order(f"W-{i}", crew, state), [])
    assert await orders.workload(T, ["C1", "C2", "C3", "C4"]) == {"C1": 3, "C2": 1, "C3": 0, "C4": 0}
    await orders.insert(order("W-new", "C2"), [])  # this process's own assignment counts at once
    assert (await orders.workload(T, ["C2"]))["C2"] == 2
    await dbs.for_tenant(T)["work_orders"].update_many({"crew_code": "C1"}, {"$set": {"state": "closed"}})
    counts = [(await orders.workload(T, ["C1"]))["C1"]]  # the stale count answers; the re-read lands later
    for _ in range(100):
        await asyncio.sleep(0.02)
        counts.append((await orders.workload(T, ["C1"]))["C1"])
        if counts[-1] == 0:
            break
    assert counts[0] == 3 and counts[-1] == 0
