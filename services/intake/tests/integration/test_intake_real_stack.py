"""Intake on real tansu and SecantusDB: orders published through the outbox, outage link, repeat, retries, broker outage."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from devstack import processes
from devstack.devtoken import ensure_dev_issuer, issue_token
from hotline_contracts import make_event
from hotline_contracts.events.outage import OutagePublishedV1, OutageScope
from intake.adapters.mongo import ticket_doc
from intake.domain.model import Ticket
from intake_fixtures import IN_OUTAGE, NORMAL
from intake_support import read_topic, running, seed_customers, settings_for

pytestmark = pytest.mark.integration


@pytest.fixture
def agent(tmp_path: Path) -> dict[str, str]:
    key = ensure_dev_issuer(tmp_path)
    return {"Authorization": f"Bearer {issue_token(key, subject='zhangsan', tenant='37', roles=['agent'])}"}


def outage_event(outage_id: str) -> bytes:
    now = datetime.now(UTC)
    data = OutagePublishedV1(
        outage_id=outage_id, outage_type="grid_fault", scope=OutageScope(ta_codes=[IN_OUTAGE.ta_code]), planned_start=now - timedelta(minutes=5),
        planned_end=now + timedelta(hours=2), cause="10kV线路故障", reporting_unit="370102", affected_customers=300,
        notice_text="线路故障停电", published_by="agent:leader", published_at=now,
    )
    return make_event(data, tenant="370102", source="/hotline/outage-notice", correlation_id="c").model_dump_json().encode()


async def test_orders_flow_through_the_outbox_and_outage_calls_are_linked(tmp_path, agent, kafka_bootstrap, mongo_uri, unique_name) -> None:
    prefix = f"t{unique_name}"
    await seed_customers(mongo_uri, prefix, [NORMAL, IN_OUTAGE])
    outage_id = f"TD-{unique_name}"
    async with running(settings_for(tmp_path, kafka_bootstrap, mongo_uri, prefix, outage_cache_seconds=0.0)) as (client, app):
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
        await producer.start()
        await producer.send_and_wait("outage.published.v1", outage_event(outage_id))
        await producer.stop()
        summary = f"没电 {unique_name}"
        body = {"business_type": "fault_repair", "account_no": IN_OUTAGE.account_no, "summary": summary}
        projection = app.state.runtime.dbs.for_tenant("370102")["active_outages"]
        async with asyncio.timeout(30):  # the projection is fed by the consumer: wait until it has the outage
            while not await projection.find_one({"outage_id": outage_id, "state": "active"}):
                await asyncio.sleep(0.2)
        response = await client.post("/api/v1/tickets", json=body, headers={**agent, "Idempotency-Key": f"k-{unique_name}"})
        linked = response.json()
        assert linked["outage"]["outage_id"] == outage_id and linked["dispatch_requested"] is False
        normal = await client.post("/api/v1/tickets", json={**body, "account_no": NORMAL.account_no}, headers=agent)
        repeat = await client.post("/api/v1/tickets", json={**body, "account_no": NORMAL.account_no}, headers=agent)
        assert normal.status_code == 201 and repeat.status_code == 200 and repeat.json()["ticket_id"] == normal.json()["ticket_id"]
        retried_repeat = await asyncio.gather(*(  # one repeat contact sent three times at once by a CTI retrying
            client.post("/api/v1/tickets", json={**body, "account_no": NORMAL.account_no}, headers={**agent, "Idempotency-Key": f"r-{unique_name}"})
            for _ in range(3)
        ))
        assert [r.status_code for r in retried_repeat] == [200] * 3, [r.text for r in retried_repeat]
        assert {r.json()["ticket_id"] for r in retried_repeat} == {normal.json()["ticket_id"]}
        order = await client.get(f"/api/v1/tickets/{normal.json()['ticket_id']}", headers=agent)
        assert order.json()["contact_count"] == 3  # the first contact, the repeat, and the retried repeat once
        retried = await client.post("/api/v1/tickets", json=body, headers={**agent, "Idempotency-Key": f"k-{unique_name}"})
        assert retried.status_code == 200 and retried.json()["ticket_id"] == linked["ticket_id"] and retried.json()["replayed"]
        assert retried.json()["outage"]["outage_id"] == outage_id
        created = await read_topic(kafka_bootstrap, "ticket.created.v1", f"g-{unique_name}", 2, lambda m: m["data"]["summary"] == summary)
    by_ticket = {m["data"]["ticket_id"]: m["data"] for m in created}
    assert len(created) == len({m["id"] for m in created}) == 2
    assert by_ticket[linked["ticket_id"]]["outage_id"] == outage_id and by_ticket[normal.json()["ticket_id"]]["outage_id"] is None


async def test_orders_accepted_while_the_broker_is_down_are_published_once_after_it_returns(tmp_path, agent, mongo_uri, unique_name) -> None:
    prefix = f"t{unique_name}"
    customers = [NORMAL.__class__(**{**NORMAL.__dict__, "account_no": f"37010210{i:02d}"}) for i in range(12)]
    await seed_customers(mongo_uri, prefix, customers)
    port = processes.free_port()  # nothing listens here yet: the broker is "down"
    settings = settings_for(tmp_path, f"127.0.0.1:{port}", mongo_uri, prefix)
    async with running(settings, wait_ready=False) as (client, app):
        accepted = []
        for c in customers:
            r = await client.post("/api/v1/tickets", json={"business_type": "fault_repair", "account_no": c.account_no, "summary": "停电"}, headers=agent)
            assert r.status_code == 201, r.text
            accepted.append(r.json()["ticket_id"])
        stored = await app.state.runtime.dbs.for_tenant("370102")["tickets"].count_documents({"tenant": "370102", "kind": None})  # orders, not their keys
        assert stored == 12 and app.state.runtime.outbox.backlog() == 12
        broker = processes.start_tansu(port, tmp_path / "logs")
        try:
            processes.wait_for_port(broker, port)
            async with asyncio.timeout(60):
                while app.state.runtime.outbox.backlog():
                    await asyncio.sleep(0.2)
            seen = await read_topic(f"127.0.0.1:{port}", "ticket.created.v1", f"g-{unique_name}", 12, lambda m: True)
        finally:
            broker.stop()
    assert sorted(m["data"]["ticket_id"] for m in seen) == sorted(accepted)  # all of them, none twice


async def test_orders_of_an_intake_that_stopped_before_publishing_are_published_by_another(
    tmp_path, agent, kafka_bootstrap, mongo_uri, unique_name
) -> None:
    """The second intake finds the first one's orders by number (no owner index on the orders), and the repeat contact too."""
    prefix = f"t{unique_name}"
    customers = [NORMAL.__class__(**{**NORMAL.__dict__, "account_no": f"37010230{i:02d}"}) for i in range(4)]
    await seed_customers(mongo_uri, prefix, customers)
    down = settings_for(tmp_path, f"127.0.0.1:{processes.free_port()}", mongo_uri, prefix).model_copy(update={"outbox_owner": f"dead-{prefix}"})
    summary = f"停电 {unique_name}"
    async with running(down, wait_ready=False) as (client, app):
        accepted = []
        for c in [*customers, customers[0]]:
            r = await client.post("/api/v1/tickets", json={"business_type": "fault_repair", "account_no": c.account_no, "summary": summary},
                                  headers=agent)
            assert r.status_code in (200, 201), r.text
            accepted.append(r.json())
        assert app.state.runtime.outbox.backlog() == 4 + 2  # four orders; the repeat contact and its urge
    tickets = AsyncMongoClient(mongo_uri)[f"{prefix}_370102"]["tickets"]
    assert sorted(await tickets.index_information()) == ["_id_"]  # orders, their keys and the repeat contact found by number alone
    # What the first intake would have left had it stopped in the middle of a refused write: an order
    # that lost its customer's open-order key, and a repeat contact its order never recorded.
    day = accepted[0]["ticket_id"].rsplit("-", 1)[0]
    retry_key = f"agent:zhangsan|cti-{unique_name}"
    leftovers = [_leftover(await tickets.find_one({"_id": accepted[3]["ticket_id"]}), f"{day}-000090"),
                 _leftover(await tickets.find_one({"kind": "repeat_contact"}), f"{day}-000091") | {"idempotency_key": retry_key}]
    contact_key = {"_id": f"idempotency_key|{retry_key}", "tenant": "370102", "kind": "idempotency_key",
                   "ticket_id": accepted[0]["ticket_id"], "at": datetime.now(UTC)}
    await tickets.insert_many([*leftovers, contact_key])
    live = settings_for(tmp_path, kafka_bootstrap, mongo_uri, prefix).model_copy(update={"outbox_owner": f"live-{prefix}", "outbox_stale_after_seconds": 1.0})
    async with running(live):
        created = await read_topic(kafka_bootstrap, "ticket.created.v1", f"g-{unique_name}", 4, lambda m: m["data"]["summary"] == summary)
        repeats = await read_topic(kafka_bootstrap, "ticket.repeat_contact_attached.v1", f"r-{unique_name}", 1,
                                   lambda m: m["data"]["ticket_id"] == accepted[0]["ticket_id"])
    assert accepted[-1]["repeat"] and accepted[-1]["ticket_id"] == accepted[0]["ticket_id"]
    assert sorted(m["data"]["ticket_id"] for m in created) == sorted(a["ticket_id"] for a in accepted[:4])  # each once, no leftover
    assert len(repeats) == 1
    assert await tickets.count_documents({"_id": {"$in": [d["_id"] for d in leftovers]}}) == 0  # removed, not published
    assert await tickets.find_one({"_id": contact_key["_id"]}) is None  # a retry of the lost contact attaches it again
    assert await tickets.count_documents({"_id": {"$in": [a["ticket_id"] for a in accepted[:4]]}}) == 4


def _leftover(doc: dict, number: str) -> dict:
    """A copy of a stored document under another order number, with events of its own."""
    outbox = [{**e, "id": f"{e['id'][:-4]}beef", "payload": e["payload"].replace(e["id"], f"{e['id'][:-4]}beef").replace(doc["_id"], number)}
              for e in doc["outbox"]]
    return {**doc, "_id": number, "outbox": outbox}


async def test_simultaneous_calls_share_one_batch_yet_keep_their_own_answers(tmp_path, agent, kafka_bootstrap, mongo_uri, unique_name) -> None:
    """Calls arriving together are inserted with one insert_many: each still gets its own order, repeat or replay."""
    prefix = f"t{unique_name}"
    customers = [NORMAL.__class__(**{**NORMAL.__dict__, "account_no": f"37010220{i:02d}"}) for i in range(10)]
    await seed_customers(mongo_uri, prefix, customers)
    async with running(settings_for(tmp_path, kafka_bootstrap, mongo_uri, prefix)) as (client, _):
        def call(account: str, key: str | None = None):
            headers = {**agent, "Idempotency-Key": key} if key else agent
            return client.post("/api/v1/tickets", json={"business_type": "fault_repair", "account_no": account, "summary": "停电"}, headers=headers)

        same_customer = [call(customers[0].account_no) for _ in range(3)]
        same_key = [call(customers[1].account_no, f"retry-{unique_name}") for _ in range(3)]
        others = [call(c.account_no) for c in customers[2:]]
        responses = await asyncio.gather(*same_customer, *same_key, *others)
    assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses if r.status_code >= 300]
    first, retried, rest = responses[:3], responses[3:6], responses[6:]
    assert len({r.json()["ticket_id"] for r in first}) == 1  # one order for the customer; the other two calls are repeats
    assert sorted(r.status_code for r in first) == [200, 200, 201] and sum(r.json()["repeat"] for r in first) == 2
    assert len({r.json()["ticket_id"] for r in retried}) == 1 and sum(r.json()["created"] for r in retried) == 1
    assert len({r.json()["ticket_id"] for r in rest}) == 8 and all(r.status_code == 201 for r in rest)
    tickets = AsyncMongoClient(mongo_uri)[f"{prefix}_370102"]["tickets"]
    for customer in customers[:2]:  # the orders that lost their key in the batch were deleted again
        assert await tickets.count_documents({"account_no": customer.account_no, "kind": None}) == 1


async def test_a_key_left_by_an_order_that_was_never_kept_does_not_lock_the_customer_out(
    tmp_path, agent, kafka_bootstrap, mongo_uri, unique_name
) -> None:
    """A process stopped between storing a batch and undoing a refused order can leave that order's key behind."""
    prefix = f"t{unique_name}"
    await seed_customers(mongo_uri, prefix, [NORMAL])
    tickets = AsyncMongoClient(mongo_uri)[f"{prefix}_370102"]["tickets"]
    leftover = {"_id": f"open_key|{NORMAL.account_no}|fault_repair", "tenant": "370102", "kind": "open_key",
                "ticket_id": "370102-20261126-000099", "at": datetime.now(UTC)}
    await tickets.insert_one(leftover)
    async with running(settings_for(tmp_path, kafka_bootstrap, mongo_uri, prefix)) as (http, _):
        r = await http.post("/api/v1/tickets", json={"business_type": "fault_repair", "account_no": NORMAL.account_no, "summary": "停电"},
                            headers=agent)
    assert r.status_code == 201 and r.json()["created"], r.text
    assert (await tickets.find_one({"_id": leftover["_id"]}))["ticket_id"] == r.json()["ticket_id"]


async def test_a_database_from_an_earlier_release_keeps_its_open_orders_and_retry_keys_without_their_indexes(
    tmp_path, agent, kafka_bootstrap, mongo_uri, unique_name
) -> None:
    """Earlier releases kept open orders and retry keys unique by indexes; every index costs each insert its upkeep.

    At start-up their values become key documents, then the indexes go: the open order still absorbs
    the customer's next call, and a retry with the old key still answers the old order.
    """
    prefix = f"t{unique_name}"
    client = AsyncMongoClient(mongo_uri)
    tickets = client[f"{prefix}_370102"]["tickets"]
    await tickets.create_index([("open_key", 1)], unique=True, sparse=True)
    await tickets.create_index([("idempotency_key", 1)], unique=True, sparse=True)
    await tickets.create_index([("outbox_moved_owner", 1), ("outbox_moved_at", 1)], sparse=True)
    old = Ticket(tenant="370102", ticket_id="370102-20261120-000007", business_type="fault_repair", sub_type=None, channel="hotline",
                 summary="停电", first_contact_owner="agent:zhangsan", accepted_at=datetime.now(UTC) - timedelta(hours=1),
                 account_no=NORMAL.account_no, idempotency_key=f"agent:zhangsan|old-{unique_name}")
    await tickets.insert_one(ticket_doc(old))  # as that release stored it: the unique values on the order
    await seed_customers(mongo_uri, prefix, [NORMAL])
    async with running(settings_for(tmp_path, kafka_bootstrap, mongo_uri, prefix)) as (http, _):
        again = await http.post("/api/v1/tickets", json={"business_type": "fault_repair", "account_no": NORMAL.account_no,
                                                         "summary": "还是停电"}, headers=agent)
        retried = await http.post("/api/v1/tickets", json={"business_type": "fault_repair", "account_no": NORMAL.account_no, "summary": "重试"},
                                  headers={**agent, "Idempotency-Key": f"old-{unique_name}"})
    indexes = await tickets.index_information()
    await client.close()
    assert sorted(indexes) == ["_id_"]
    assert again.status_code == 200 and again.json()["repeat"] and again.json()["ticket_id"] == old.ticket_id
    assert retried.status_code == 200 and retried.json()["replayed"] and retried.json()["ticket_id"] == old.ticket_id
