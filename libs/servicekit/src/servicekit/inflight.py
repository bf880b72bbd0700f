"""Handlers still running in the background (在途处理): started from a Kafka batch, drained on shutdown.

A consumer that awaits each batch before fetching the next makes every message wait for the slowest
round trip of the batch before it. Handing each message to its own task lets the next batch be
fetched at once; a bound on the tasks running keeps a backlog from becoming unbounded memory, and
`drain` lets shutdown finish what was started before the broker's producer closes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class InFlight:
    """The background handlers of one service; each `slots` bounds one subscription."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    async def start(self, work: Coroutine[Any, Any, Any], slots: asyncio.Semaphore) -> None:
        """Run `work` in the background once one of `slots` is free (waits, so the caller fetches no further)."""
        try:
            await slots.acquire()
        except BaseException:
            work.close()  # never started: no "coroutine was never awaited" warning
            raise
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._finished(done, slots))

    def _finished(self, task: asyncio.Task[Any], slots: asyncio.Semaphore) -> None:
        self._tasks.discard(task)
        slots.release()
        if not task.cancelled() and task.exception() is not None:
            # The handler already counted and logged its failure (EventConsumer); this keeps it from vanishing.
            log.error("background handler failed", extra={"error": repr(task.exception())})

    async def drain(self, timeout: float) -> int:
        """Wait up to `timeout` s for every running handler; returns how many were still running (then cancelled)."""
        if not self._tasks:
            return 0
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("handlers cancelled at shutdown", extra={"count": len(pending)})
        return len(pending)
