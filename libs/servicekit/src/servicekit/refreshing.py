"""A read-through cache that refreshes in the background (后台刷新缓存).

Reference data read on every event (rule tables, crew rosters) changes rarely. Re-reading it when it
expires makes the unlucky event that finds it expired, and every event arriving during that read, wait
for the database. Here only a key never loaded waits; an expired value is still served while one
background read replaces it, so the staleness is at most `ttl` plus one read.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

log = logging.getLogger(__name__)


class RefreshingCache(Generic[K, V]):
    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._values: dict[K, tuple[float, V]] = {}  # key -> (loaded at, value)
        self._loading: dict[K, asyncio.Task[V]] = {}  # one read in flight per key

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """The cached value; `load` runs only when none is cached (awaited) or it is older than `ttl` (not awaited)."""
        hit = self._values.get(key)
        if hit is None:
            return await asyncio.shield(self._load(key, load))
        if self.clock() - hit[0] >= self.ttl:
            self._load(key, load)
        return hit[1]

    def invalidate(self, key: K) -> None:
        """Forget `key` (e.g. this process just changed it): the next `get` reads it afresh and waits."""
        self._values.pop(key, None)
        task = self._loading.pop(key, None)
        if task is not None:
            task.cancel()  # it may have read the old value

    def _load(self, key: K, load: Callable[[], Awaitable[V]]) -> asyncio.Task[V]:
        task = self._loading.get(key)
        if task is None:
            task = self._loading[key] = asyncio.create_task(self._read(key, load))
            task.add_done_callback(lambda done: self._loaded(key, done))
        return task

    async def _read(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        value = await load()
        self._values[key] = (self.clock(), value)
        return value

    def _loaded(self, key: K, task: asyncio.Task[V]) -> None:
        if self._loading.get(key) is task:
            del self._loading[key]
        if not task.cancelled() and task.exception() is not None:  # the old value stays; the next get retries
            log.warning("cache refresh failed", extra={"key": repr(key), "error": repr(task.exception())})
