"""Opportunistic batching (合并请求): concurrent callers' small database operations sent as one.

Under load many requests want the same kind of round trip at once (look up a customer, insert
an order). Each caller awaits `submit(item)`; items that arrive while a batch is in flight wait
for the next one, so a lone caller is sent at once (no added delay) and a busy service sends
fewer, larger operations. On SecantusDB a 16-value `$in` costs about a fifth of 16 `find_one`s,
and `insert_many` about half of the same `insert_one`s; on MongoDB it saves round trips.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")

# The batch function answers one result per item, in order: a value, or an exception for that item alone.
RunBatch = Callable[[list[In]], Awaitable[Sequence["Out | BaseException"]]]


class Coalescer(Generic[In, Out]):
    """Runs `run` on up to `max_batch` waiting items, with at most `max_in_flight` batches at once."""

    def __init__(self, run: RunBatch[In, Out], *, max_batch: int = 16, max_in_flight: int = 2) -> None:
        self.run = run
        self.max_batch = max_batch
        self.max_in_flight = max_in_flight
        self._waiting: deque[tuple[In, asyncio.Future[Out]]] = deque()
        self._in_flight = 0

    async def submit(self, item: In) -> Out:
        future: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._in_flight < self.max_in_flight:
            self._in_flight += 1
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = [self._waiting.popleft() for _ in range(min(self.max_batch, len(self._waiting)))]
                await self._send(batch)
        finally:
            self._in_flight -= 1

    async def _send(self, batch: list[tuple[In, asyncio.Future[Out]]]) -> None:
        try:
            results = await self.run([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"batch answered {len(results)} results for {len(batch)} items")
        except BaseException as exc:  # the whole batch failed (database away, cancelled): every caller hears it
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():
                continue  # the caller gave up (cancelled); its item was still handled
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
