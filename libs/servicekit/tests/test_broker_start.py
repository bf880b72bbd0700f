"""Starting a service's broker: its subscribers join their consumer groups together, and a failure leaves none running."""

import asyncio

import pytest

from servicekit.kafka import start_broker

pytestmark = pytest.mark.unit


class FakeSubscriber:
    """Stands for a subscriber whose start is a consumer-group join that lasts until `joined` is set."""

    def __init__(self, joined: asyncio.Event, starting: list["FakeSubscriber"], fails: bool = False) -> None:
        self.joined, self.starting, self.fails = joined, starting, fails
        self.running = False

    async def start(self) -> None:
        self.starting.append(self)
        await self.joined.wait()
        if self.fails:
            raise ConnectionError("group coordinator not available")
        self.running = True

    async def stop(self) -> None:
        self.running = False


class FakeBroker:
    def __init__(self, subscribers: list[FakeSubscriber]) -> None:
        self.subscribers, self.publishers = subscribers, []
        self.connected = self.running = False

    async def connect(self) -> None:
        self.connected = True


async def test_every_subscriber_is_joining_before_the_first_has_joined():
    joined, starting = asyncio.Event(), []
    broker = FakeBroker([FakeSubscriber(joined, starting) for _ in range(7)])
    start = asyncio.create_task(start_broker(broker))  # type: ignore[arg-type]
    for _ in range(50):  # the event loop's turns, not time
        await asyncio.sleep(0)
    assert len(starting) == 7  # one after another, the second would wait for the first's join
    joined.set()
    await asyncio.wait_for(start, 1)
    assert broker.connected and broker.running
    assert all(s.running for s in broker.subscribers)


async def test_one_failed_join_stops_the_others_so_a_retry_starts_clean():
    joined, starting = asyncio.Event(), []
    subscribers = [FakeSubscriber(joined, starting, fails=(i == 1)) for i in range(3)]
    broker = FakeBroker(subscribers)
    joined.set()
    with pytest.raises(ConnectionError):
        await start_broker(broker)  # type: ignore[arg-type]
    assert not any(s.running for s in subscribers) and not broker.running


async def test_a_cancelled_start_leaves_no_subscriber_running():
    joined, starting = asyncio.Event(), []
    fast = FakeSubscriber(asyncio.Event(), starting)
    fast.joined.set()
    broker = FakeBroker([fast, FakeSubscriber(joined, starting)])
    start = asyncio.create_task(start_broker(broker))  # type: ignore[arg-type]
    for _ in range(50):
        await asyncio.sleep(0)
    assert fast.running
    start.cancel()
    with pytest.raises(asyncio.CancelledError):
        await start
    assert not any(s.running for s in broker.subscribers)
