"""Helpers of the closed-loop e2e tests (闭环): the stack's HTTP APIs, a field app's raw CloudEvents, the dead-letter topic.

Orders go through HTTP or Kafka (the seeded customers are test data, from tests.e2e.customers), orders come from dispatch's
order API, and crew reports are built as a field app would, from the published JSON Schema alone.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jsonschema
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

SCHEMAS = Path(__file__).resolve().parents[2] / "libs" / "contracts" / "schemas"
KAFKA_PORT = 9092


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def eventually(probe: Callable[[], Awaitable[Any]], timeout: float, what: str, interval: float = 0.5) -> Any:
    """The first truthy value of `probe`; fails the test (never skips) when none comes in time."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; last seen: {last!r}")


class Api:
    """The stack's HTTP APIs as a hotline agent, a unit's staff and a shift leader use them."""

    def __init__(self, stack: Any, tag: str) -> None:
        self.stack, self.urls = stack, stack.urls
        self.agent_id = f"agent:e2e-{tag}-{uuid.uuid4().hex[:6]}"
        self.agent = stack.token("37", ["agent"], subject=self.agent_id)
        self.leader = stack.token("37", ["shift_leader"], subject=f"agent:e2e-leader-{tag}")
        self.http = httpx.AsyncClient(timeout=15)

    async def close(self) -> None:
        await self.http.aclose()

    def staff(self, unit: str) -> str:
        return self.stack.token(unit, ["unit_staff"], subject=f"staff:e2e-{unit}")

    async def ticket(self, body: dict[str, Any]) -> dict[str, Any]:
        r = await self.http.post(f"{self.urls['intake']}/api/v1/tickets", json=body, headers=bearer(self.agent))
        assert r.status_code in (200, 201), f"intake refused {body}: {r.status_code} {r.text[:300]}"
        return r.json()

    async def intake_ticket(self, ticket_id: str) -> dict[str, Any]:
        r = await self.http.get(f"{self.urls['intake']}/api/v1/tickets/{ticket_id}", headers=bearer(self.agent))
        assert r.status_code == 200, r.text[:300]
        return r.json()

    async def order(self, ticket_id: str, unit: str) -> dict[str, Any] | None:
        """Dispatch's work order as the owning unit's staff read it, or None while dispatch has none (404)."""
        r = await self.http.get(f"{self.urls['dispatch']}/api/v1/work-orders/{ticket_id}", headers=bearer(self.staff(unit)))
        assert r.status_code in (200, 404), f"dispatch answered {r.status_code}: {r.text[:300]}"
        return r.json() if r.status_code == 200 else None


def envelope(topic: str, tenant: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
    """A CloudEvents 1.0 envelope as an outside producer writes it, checked against the published schema."""
    message = {
        "specversion": "1.0", "id": str(uuid.uuid4()), "source": "/field-app/e2e", "type": f"cn.95598.{topic}",
        "subject": subject, "time": datetime.now(UTC).isoformat(), "datacontenttype": "application/json",
        "dataschema": f"urn:95598:schema:{topic}", "tenant": tenant, "correlation_id": f"e2e-{uuid.uuid4().hex[:12]}", "data": data,
    }
    jsonschema.validate(message, json.loads((SCHEMAS / f"{topic}.json").read_text(encoding="utf-8")))
    return message


def kafka(stack: Any) -> str:
    return f"127.0.0.1:{KAFKA_PORT + stack.offset}"


async def send_all(stack: Any, messages: list[tuple[str, dict[str, Any]]]) -> None:
    """Hand every message to the broker at once (no wait between them), keyed by subject, as a syncing app does."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka(stack))
    await producer.start()
    try:
        sent = [await producer.send(topic, json.dumps(m).encode(), key=m["subject"].encode()) for topic, m in messages]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def dead_letters(stack: Any, match: Callable[[dict[str, Any]], bool], *, want: int, seconds: float) -> list[dict[str, Any]]:
    """Dead letters on `deadletter.v1` that satisfy `match`, read from the start for up to `seconds`; stops early
    once `want` came (`want=0` reads the whole time, so a test can assert that none came)."""
    consumer = AIOKafkaConsumer("deadletter.v1", bootstrap_servers=kafka(stack), group_id=f"e2e-{uuid.uuid4().hex[:8]}",
                                auto_offset_reset="earliest", fetch_max_wait_ms=50)
    await consumer.start()
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline and not (want and len(found) >= want):
            for records in (await consumer.getmany(timeout_ms=200)).values():
                found.extend(m for m in (json.loads(r.value) for r in records) if match(m))
    finally:
        await consumer.stop()
    return found
