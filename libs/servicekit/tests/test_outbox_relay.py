"""The outbox relay without processes: failed sends stay pending, nothing is published twice, the watermark waits."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from hotline_contracts import make_event
from servicekit.metrics import StandardMetrics
from servicekit.outbox import OutboxRelay

pytestmark = pytest.mark.unit


class FlakyBroker:
    """`down`: the client refuses the event; `unconfirmed`: it takes the event, the broker never acknowledges it."""

    def __init__(self) -> None:
        self.down = False
        self.unconfirmed = False
        self.offered = 0
        self.sent: list[str] = []

    async def send(self, entry: dict) -> asyncio.Future[None]:
        self.offered += 1
        if self.down:
            raise ConnectionError("broker down")
        ack = asyncio.get_running_loop().create_future()
        if self.unconfirmed:
            ack.set_exception(TimeoutError("no acknowledgement"))
        else:
            self.sent.append(entry["id"])
            ack.set_result(None)
        return ack


def relay(broker: FlakyBroker, now: list[datetime]) -> OutboxRelay:
    return OutboxRelay(dbs=None, send=broker.send, metrics=StandardMetrics.create("t"), tenants=["370102"], owner="o1",  # type: ignore[arg-type]
                       batch_size=3, clock=lambda: now[0])


async def test_events_stamped_into_the_document_are_published_once_after_the_broker_returns(ticket_created) -> None:
    broker, now = FlakyBroker(), [datetime(2026, 11, 26, tzinfo=UTC)]
    r = relay(broker, now)
    docs, ids = [], []
    for _ in range(5):
        env = make_event(ticket_created, tenant="370102", source="/t", subject="x")
        doc: dict = {}
        r.commit(r.stamp("370102", "tickets", doc, [env]))
        docs.append(doc)
        ids.append(env.id)
    assert all(d["outbox"][0]["id"] == i and d["outbox_owner"] == "o1" for d, i in zip(docs, ids, strict=True))
    broker.down = True
    with pytest.raises(RuntimeError):
        await r.publish_batch()
    assert r.backlog() == 5 and r.metrics.outbox_backlog._value.get() == 5
    broker.down = False
    while r.backlog():
        await r.publish_batch()
    assert broker.sent == ids  # each once, in order


async def test_unacknowledged_events_stay_pending_and_a_refusing_client_is_offered_only_the_first(ticket_created) -> None:
    broker, now = FlakyBroker(), [datetime(2026, 11, 26, tzinfo=UTC)]
    r = relay(broker, now)
    ids = []
    for _ in range(3):
        env = make_event(ticket_created, tenant="370102", source="/t", subject="x")
        r.commit(r.stamp("370102", "tickets", {}, [env]))
        ids.append(env.id)
    broker.unconfirmed = True
    with pytest.raises(RuntimeError):
        await r.publish_batch()
    assert r.backlog() == 3 and broker.sent == []
    broker.unconfirmed, broker.down, broker.offered = False, True, 0
    with pytest.raises(RuntimeError):
        await r.publish_batch()
    assert broker.offered == 1 and r.backlog() == 3
    broker.down = False
    assert await r.publish_batch() == 3
    assert broker.sent == ids and r.backlog() == 0


async def test_watermark_never_passes_a_write_still_in_flight(ticket_created) -> None:
    broker, now = FlakyBroker(), [datetime(2026, 11, 26, tzinfo=UTC)]
    r = relay(broker, now)
    started = r.stamp("370102", "tickets", {}, [make_event(ticket_created, tenant="370102", source="/t")])
    now[0] += timedelta(seconds=10)
    assert r.watermark("370102", "tickets") == started.at  # the insert has not returned yet
    r.discard(started)
    assert r.watermark("370102", "tickets") == now[0]


async def test_events_committed_moments_apart_are_sent_as_one_batch_when_the_relay_lingers(ticket_created) -> None:
    broker, now = FlakyBroker(), [datetime(2026, 11, 26, tzinfo=UTC)]
    r = OutboxRelay(dbs=None, send=broker.send, metrics=StandardMetrics.create("t"), tenants=["370102"], owner="o1",  # type: ignore[arg-type]
                    linger=0.05, checkpoint_interval=1e9, stale_after=1e9, clock=lambda: now[0])
    batches: list[int] = []
    publish = r.publish_batch

    async def counting() -> int:
        sent = await publish()
        if sent:
            batches.append(sent)
        return sent

    r.publish_batch = counting  # type: ignore[method-assign]
    r.start()
    try:
        r.commit(r.stamp("370102", "tickets", {}, [make_event(ticket_created, tenant="370102", source="/t")]))
        await asyncio.sleep(0.01)
        for _ in range(2):
            r.commit(r.stamp("370102", "tickets", {}, [make_event(ticket_created, tenant="370102", source="/t")]))
        await asyncio.sleep(0.2)
    finally:
        await r.stop()
    assert batches == [3] and len(broker.sent) == 3  # without the linger: [1, 2]
