"""Reference data read per event: only a never-loaded key waits; an expired one is served while one re-read runs."""

import asyncio

import pytest

from servicekit.refreshing import RefreshingCache

pytestmark = pytest.mark.unit


class Source:
    def __init__(self):
        self.value, self.reads, self.fail = "v1", 0, False
        self.gate = asyncio.Event()
        self.gate.set()

    async def read(self):
        self.reads += 1
        await self.gate.wait()
        if self.fail:
            raise ConnectionError("database unreachable")
        return self.value


async def test_first_read_waits_then_an_expired_value_is_served_while_one_reread_replaces_it():
    now = [0.0]
    cache, source = RefreshingCache(5.0, clock=lambda: now[0]), Source()
    assert await cache.get("k", source.read) == "v1" and source.reads == 1
    source.value, now[0] = "v2", 6.0
    source.gate.clear()  # the re-read is slow
    answers = await asyncio.gather(*(cache.get("k", source.read) for _ in range(5)))
    assert answers == ["v1"] * 5 and source.reads == 2  # nobody waited, one read for all
    source.gate.set()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert await cache.get("k", source.read) == "v2"


async def test_a_failed_reread_keeps_the_old_value_and_a_failed_first_read_reaches_the_caller():
    now = [0.0]
    cache, source = RefreshingCache(5.0, clock=lambda: now[0]), Source()
    await cache.get("k", source.read)
    source.fail, now[0] = True, 10.0
    assert await cache.get("k", source.read) == "v1"
    await asyncio.sleep(0.01)
    assert await cache.get("k", source.read) == "v1"  # still served; another re-read was tried
    with pytest.raises(ConnectionError):
        await cache.get("other", source.read)


async def test_after_invalidate_the_next_read_waits_for_the_new_value():
    cache, source = RefreshingCache(60.0), Source()
    await cache.get("k", source.read)
    source.value = "v2"
    cache.invalidate("k")  # this process just saved a new version
    assert await cache.get("k", source.read) == "v2"
