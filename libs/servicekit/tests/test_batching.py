"""Opportunistic batching: a lone caller goes at once, simultaneous callers share one round trip, failures stay their own."""

import asyncio

import pytest

from servicekit.batching import Coalescer

pytestmark = pytest.mark.unit


class Recorder:
    """A batch function that records each batch and answers item * 10 (or the item's own error)."""

    def __init__(self, delay: float = 0.01) -> None:
        self.batches: list[list[int]] = []
        self.delay = delay

    async def __call__(self, items: list[int]) -> list[object]:
        self.batches.append(list(items))
        await asyncio.sleep(self.delay)
        return [ValueError(f"bad {i}") if i < 0 else i * 10 for i in items]


async def test_a_lone_caller_is_sent_at_once():
    run = Recorder()
    assert await asyncio.wait_for(Coalescer(run).submit(4), timeout=0.5) == 40
    assert run.batches == [[4]]


async def test_callers_arriving_together_or_while_a_batch_is_in_flight_share_one_round_trip():
    run = Recorder()
    coalescer = Coalescer(run, max_batch=16, max_in_flight=1)
    together = await asyncio.gather(*(coalescer.submit(i) for i in range(5)))
    first = asyncio.create_task(coalescer.submit(100))
    await asyncio.sleep(0.001)  # 100 is in flight now; the next five wait for it, then go as one batch
    later = await asyncio.gather(*(coalescer.submit(i) for i in range(5, 10)))
    assert together == [0, 10, 20, 30, 40] and later == [50, 60, 70, 80, 90] and await first == 1000
    assert run.batches == [[0, 1, 2, 3, 4], [100], [5, 6, 7, 8, 9]]


async def test_batches_are_capped_at_max_batch():
    run = Recorder()
    coalescer = Coalescer(run, max_batch=4, max_in_flight=1)
    await asyncio.gather(*(coalescer.submit(i) for i in range(9)))
    assert [len(b) for b in run.batches] == [4, 4, 1]


async def test_one_items_error_reaches_only_its_caller():
    coalescer = Coalescer(Recorder(), max_in_flight=1)
    results = await asyncio.gather(coalescer.submit(1), coalescer.submit(-2), coalescer.submit(3), return_exceptions=True)
    assert results[0] == 10 and results[2] == 30 and isinstance(results[1], ValueError)


async def test_a_failed_batch_fails_every_caller_in_it_and_the_next_batch_still_runs():
    calls = 0

    async def flaky(items: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        if calls == 1:
            raise ConnectionError("database away")
        return items

    coalescer = Coalescer(flaky, max_in_flight=1)
    results = await asyncio.gather(*(coalescer.submit(i) for i in range(3)), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    assert await coalescer.submit(7) == 7  # the coalescer is not left stuck by the failure


async def test_a_caller_that_gives_up_does_not_stop_its_item_being_handled():
    run = Recorder(delay=0.05)
    coalescer = Coalescer(run, max_in_flight=1)
    first = asyncio.create_task(coalescer.submit(1))
    await asyncio.sleep(0)
    second = asyncio.create_task(coalescer.submit(2))
    await asyncio.sleep(0.01)
    second.cancel()  # e.g. the HTTP client hung up: its insert must still finish (and publish its events)
    assert await first == 10
    await asyncio.sleep(0.1)
    assert run.batches == [[1], [2]]
