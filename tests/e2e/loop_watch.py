"""What the closed-loop e2e tests share: a Kafka watch on one order's events, and the HTTP calls a user makes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer

TENANT = "370102"
LOOP_TOPICS = (
    "ticket.dispatched.v1", "ticket.state_changed.v1", "timelimit.warning_raised.v1", "timelimit.breached.v1",
    "supervision.raised.v1", "reply.audited.v1", "return_visit.scheduled.v1", "return_visit.skipped.v1",
    "return_visit.completed.v1", "ticket.reopened.v1", "ticket.closed.v1", "crew.assigned.v1", "deadletter.v1",
)


class EventWatch:
    """Every event on LOOP_TOPICS (from the start of each topic, a fresh group) whose subject is one of `subjects`."""

    def __init__(self, stack: Any) -> None:
        self.bootstrap = f"127.0.0.1:{9092 + stack.offset}"
        self.subjects: set[str] = set()
        self.events: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def __aenter__(self) -> EventWatch:
        self._task = asyncio.create_task(self._run())
        await asyncio.wait_for(self._ready.wait(), 60)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        consumer = AIOKafkaConsumer(*LOOP_TOPICS, bootstrap_servers=self.bootstrap, group_id=f"e2e-loop-{uuid.uuid4().hex[:8]}",
                                    auto_offset_reset="earliest", enable_auto_commit=False)
        await consumer.start()
        self._ready.set()
        try:
            async for record in consumer:
                event = json.loads(record.value)
                if record.topic == "deadletter.v1":
                    # A dead letter's subject is not the order's: it belongs to an order when its refused payload names it.
                    named = [s for s in self.subjects if s in json.dumps(event.get("data"), ensure_ascii=False)]
                    event["subject"] = named[0] if named else None
                if event.get("subject") in self.subjects:
                    self.events.append({"topic": record.topic, **event})
        finally:
            await consumer.stop()

    def of(self, topic: str, subject: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["topic"] == topic and e["subject"] == subject]

    async def until(self, probe: Callable[[], Any], timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = probe()
            if value:
                return value
            await asyncio.sleep(0.5)
        raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; saw {[e['topic'] for e in self.events]}")


class Users:
    """The people of the loop, each with their own token, calling the stack's public HTTP APIs."""

    def __init__(self, stack: Any) -> None:
        self.urls = stack.urls
        self.http = httpx.AsyncClient(timeout=20)
        self.agent = stack.token("37", ["agent"], subject="agent:e2e-loop-agent")  # 95598 centre: accepts, audits
        self.auditor = stack.token("37", ["shift_leader"], subject="agent:e2e-loop-leader")  # 95598: records visits
        self.staff = stack.token(TENANT, ["unit_staff"], subject="staff:e2e-loop-staff")  # the county company
        self.maintainer = stack.token(TENANT, ["system_maintainer"], subject="maint:e2e-loop")

    async def call(self, method: str, service: str, path: str, token: str, ok: tuple[int, ...] = (200, 201),
                   **kw: Any) -> Any:
        r = await self.http.request(method, self.urls[service] + path, headers={"Authorization": f"Bearer {token}"}, **kw)
        assert r.status_code in ok, f"{method} {service}{path} → {r.status_code}: {r.text[:500]}"
        return r.json() if r.content else None

    async def order(self, ticket_id: str) -> dict[str, Any] | None:
        r = await self.http.get(f"{self.urls['dispatch']}/api/v1/work-orders/{ticket_id}",
                                headers={"Authorization": f"Bearer {self.staff}"})
        return r.json() if r.status_code == 200 else None

    async def wait_order(self, ticket_id: str, test: Callable[[dict[str, Any]], bool], timeout: float, what: str) -> dict[str, Any]:
        deadline, last = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            last = await self.order(ticket_id)
            if last is not None and test(last):
                return last
            await asyncio.sleep(0.5)
        raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; order is {last and last.get('state')}")

    async def act(self, ticket_id: str, action: str, token: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.call("POST", "dispatch", f"/api/v1/work-orders/{ticket_id}/{action}", token, json=body or {})

    async def due_visit(self, ticket_id: str, timeout: float = 60) -> dict[str, Any]:
        async def find() -> dict[str, Any] | None:
            items = (await self.call("GET", "survey", f"/api/v1/return-visits?state=due&unit={TENANT}&limit=500",
                                     self.auditor))["items"]
            return next((v for v in items if v["ticket_id"] == ticket_id), None)

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = await find()
            if found:
                return found
            await asyncio.sleep(0.5)
        raise AssertionError(f"no due return visit for {ticket_id} after {timeout:.0f}s")

    async def visit_result(self, visit_id: str, result: str, comment: str) -> dict[str, Any]:
        return await self.call("POST", "survey", f"/api/v1/return-visits/{visit_id}/result", self.auditor,
                               json={"result": result, "comment": comment})
