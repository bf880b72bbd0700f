"""A lean HTTP/1.1 load generator for the benchmarks: keep-alive sockets, pre-encoded requests.

The service and its load share two cores, so the load must cost little: httpx spent about 10 ms
of CPU per request here (more than the service under test). This client writes a pre-built
request and reads the status line, headers and a Content-Length body: about a tenth of that.
Latency is measured from the scheduled send time in open-loop runs (no coordinated omission).
The generator's own garbage collector is paused while it measures: its full collections took
60–100 ms in the intake benchmark (every pre-built request is alive) and showed up as the
service's latency spikes.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Outcome:
    """What a run saw: latencies (s), statuses and, when asked, parsed bodies."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    bodies: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> int:
        return sum(n for s, n in self.statuses.items() if 200 <= s < 300)

    @property
    def errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if not 200 <= s < 300)


def post_json(host: str, port: int, path: str, headers: dict[str, str], body: dict) -> bytes:
    payload = json.dumps(body, ensure_ascii=False).encode()
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Content-Type: application/json", f"Content-Length: {len(payload)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


@contextmanager
def collector_paused() -> Iterator[None]:
    """No collection inside a measured phase; the garbage of the phase is collected after it."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.collect()


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        for attempt in (1, 2):  # the server may have closed an idle keep-alive socket: reconnect once
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                self.writer.write(raw)
                return await self._response()
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _response(self) -> tuple[int, bytes]:
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length) if length else b""

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class LoadGen:
    """Closed loop (`concurrency` callers back to back) or open loop (a fixed arrival rate)."""

    def __init__(self, host: str, port: int, *, keep_bodies: bool = False) -> None:
        self.host, self.port, self.keep_bodies = host, port, keep_bodies
        self._idle: list[Connection] = []
        self.sent = 0

    def _record(self, outcome: Outcome, status: int, body: bytes, latency: float) -> None:
        self.sent += 1
        outcome.latencies.append(latency)
        outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
        if self.keep_bodies and body:
            outcome.bodies.append(json.loads(body))

    async def _send(self, raw: bytes, outcome: Outcome, began: float) -> None:
        conn = self._idle.pop() if self._idle else Connection(self.host, self.port)
        try:
            status, body = await conn.request(raw)
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            conn.close()
            self._record(outcome, 599, b"", time.perf_counter() - began)
            return
        self._record(outcome, status, body, time.perf_counter() - began)
        self._idle.append(conn)

    async def closed_loop(self, requests: Iterator[bytes], concurrency: int, seconds: float | None = None) -> tuple[Outcome, float]:
        outcome, deadline = Outcome(), time.perf_counter() + (seconds if seconds is not None else 1e9)

        async def caller() -> None:
            for raw in requests:
                if time.perf_counter() > deadline:
                    return
                await self._send(raw, outcome, time.perf_counter())

        with collector_paused():
            started = time.perf_counter()
            await asyncio.gather(*(caller() for _ in range(concurrency)))
            return outcome, time.perf_counter() - started

    async def open_loop(self, make: Callable[[int], bytes], rate: float, seconds: float) -> Outcome:
        outcome, tasks = Outcome(), []
        with collector_paused():
            started = time.perf_counter()
            for i in range(int(rate * seconds)):
                due = started + i / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(self._send(make(i), outcome, due)))
            await asyncio.gather(*tasks)
        return outcome

    def close(self) -> None:
        for conn in self._idle:
            conn.close()
        self._idle.clear()


def percentile_ms(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000, 2) if ordered else 0.0
