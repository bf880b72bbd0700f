"""A short, reusable scenario through the running services' public HTTP APIs and Kafka (演示场景).

It produces what the dashboards show: contacts on several channels and business types, a repeat call,
a late outage report, a repair call linked to that outage, a dispatched repair order with crew events,
time-limit warnings and a breach (the tenant's time-limit rule is edited to a tiny limit through the
dispatch rules API), a dead letter, and a closed complaint followed by its return-visit result.

`run_scenario(stack)` returns a `ScenarioReport`: each step is "ok", or "skipped" with the reason when
the service feature it needs does not exist (an endpoint answering 404/405 or the event never coming).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.e2e.customers import fresh_customers

TENANT = "370102"  # a county company of the demo data
DISPATCH_WAIT = 120  # generous: on a loaded 2-core machine a consumer group can take a minute to settle
TINY_LIMIT_MINUTES = 0.05  # 3 s: every warning level and the breach are crossed by the first scan


class StepSkipped(Exception):
    """The feature this step needs is not there (yet)."""


@dataclass
class ScenarioReport:
    steps: list[tuple[str, str, str]] = field(default_factory=list)  # (step, ok|skipped, detail)
    tickets: dict[str, str] = field(default_factory=dict)

    def skipped(self) -> list[tuple[str, str]]:
        return [(s, d) for s, status, d in self.steps if status == "skipped"]


def now() -> datetime:
    return datetime.now(UTC)


def wait_until(probe: Callable[[], Any], timeout: float, what: str, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval)
    raise StepSkipped(f"timed out after {timeout:.0f}s waiting for {what}")


class Scenario:
    def __init__(self, stack: Any) -> None:
        self.shipped_time_limits: list[dict[str, Any]] = []  # the rows before the tiny limit, put back at the end
        self.stack, self.urls = stack, stack.urls
        self.http = httpx.Client(timeout=15)
        self.report = ScenarioReport()
        self.agent = stack.token("37", ["agent"], subject="agent:e2e-agent")
        self.staff = stack.token(TENANT, ["unit_staff"], subject="staff:e2e-staff")
        self.crew = stack.token(TENANT, ["field_crew"], subject="crew:e2e-crew")
        self.maintainer = stack.token(TENANT, ["system_maintainer"], subject="maint:e2e")
        self.leader = stack.token("37", ["shift_leader"], subject="agent:e2e-leader")

    # -- plumbing ---------------------------------------------------------------------------
    def call(self, method: str, service: str, path: str, token: str, ok: tuple[int, ...] = (200, 201), **kw: Any) -> Any:
        r = self.http.request(method, self.urls[service] + path, headers={"Authorization": f"Bearer {token}"}, **kw)
        if r.status_code in (404, 405) and r.headers.get("content-type", "").startswith("application/json") \
                and r.json().get("detail") == "Not Found":
            raise StepSkipped(f"{service} has no {method} {path}")
        if r.status_code not in ok:
            raise AssertionError(f"{method} {service}{path} → {r.status_code}: {r.text[:500]}")
        return r.json() if r.content else None

    def step(self, name: str, fn: Callable[[], str | None]) -> None:
        try:
            detail = fn() or ""
            self.report.steps.append((name, "ok", detail))
        except StepSkipped as exc:
            self.report.steps.append((name, "skipped", str(exc)))

    def customers(self) -> list[dict[str, Any]]:
        """Seeded urban customers of the county no other test had, outside every outage (test data only)."""
        return fresh_customers(self.stack, 400, area_class="urban")

    def ticket(self, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        return self.call("POST", "intake", "/api/v1/tickets", token or self.agent, json=body)

    def order(self, ticket_id: str) -> dict[str, Any] | None:
        r = self.http.get(f"{self.urls['dispatch']}/api/v1/work-orders/{ticket_id}",
                          headers={"Authorization": f"Bearer {self.staff}"})
        return r.json() if r.status_code == 200 else None

    def act(self, ticket_id: str, action: str, token: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.call("POST", "dispatch", f"/api/v1/work-orders/{ticket_id}/{action}", token, json=body or {})

    # -- steps ------------------------------------------------------------------------------
    def tiny_time_limits(self) -> str:
        doc = self.call("GET", "dispatch", f"/api/v1/rules/timelimits?tenant={TENANT}", self.maintainer)
        self.shipped_time_limits = [dict(r) for r in doc["rows"]]
        rows = [dict(r) for r in doc["rows"]]
        for row in rows:
            if row.get("business_type") == "fault_repair" and row.get("clock") == "arrival":
                row["limit_minutes"] = TINY_LIMIT_MINUTES
        body = {"effective_from": (now() - timedelta(seconds=1)).isoformat(), "rows": rows}
        self.call("PUT", "dispatch", f"/api/v1/rules/timelimits?tenant={TENANT}", self.maintainer, json=body)
        return f"repair arrival limit set to {TINY_LIMIT_MINUTES} min"

    def restore_time_limits(self) -> str:
        """Put the rows back: the e2e modules share one stack, and the next test's repairs must run on the real limits."""
        rows = self.shipped_time_limits
        if not rows:
            raise StepSkipped("the tiny limits were never saved")
        body = {"effective_from": now().isoformat(), "rows": rows}
        self.call("PUT", "dispatch", f"/api/v1/rules/timelimits?tenant={TENANT}", self.maintainer, json=body)
        return "repair arrival limits restored"

    def contacts(self, people: list[dict[str, Any]]) -> str:
        a, b = people[0], people[1]
        made = [
            self.ticket({"channel": "hotline", "business_type": "consultation", "unit": TENANT,
                         "summary": "咨询电费构成", "resolved_at_first_contact": True}),
            self.ticket({"channel": "web", "business_type": "suggestion", "unit": TENANT, "summary": "建议增加营业厅周末服务"}),
            self.ticket({"channel": "wechat", "business_type": "complaint", "sub_type": "service_conduct",
                         "account_no": a["account_no"], "contact_phone": a["phone"], "summary": "客户投诉营业厅工作人员态度差"}),
            self.ticket({"channel": "hotline", "business_type": "fault_repair", "sub_type": "no_power_single_household",
                         "account_no": b["account_no"], "summary": "客户反映家中突然停电"}),
        ]
        self.report.tickets.update(complaint=made[2]["ticket_id"], repair=made[3]["ticket_id"])
        self.report.tickets["repair_customer_feeder"] = b["feeder_code"]
        return ", ".join(t["ticket_id"] for t in made)

    def repeat_call(self, people: list[dict[str, Any]]) -> str:
        again = self.ticket({"channel": "hotline", "business_type": "fault_repair", "sub_type": "no_power_single_household",
                             "account_no": people[1]["account_no"], "summary": "客户再次来电催问抢修进度"})
        if not again.get("repeat"):
            raise AssertionError(f"second call on an open repair was not a repeat: {again}")
        return again["ticket_id"]

    def late_outage(self, people: list[dict[str, Any]]) -> str:
        feeder = next(p["feeder_code"] for p in people if p["feeder_code"] != self.report.tickets["repair_customer_feeder"])
        start = now() + timedelta(hours=2)  # planned outages need 7 days' notice: this report is late
        body = {"outage_type": "planned", "scope": {"feeder_codes": [feeder], "ta_codes": [], "station_codes": [],
                "area": "历下区演示区域"}, "planned_start": start.isoformat(), "planned_end": (start + timedelta(hours=4)).isoformat(),
                "cause": "10kV线路计划检修（演示）", "publish": True}
        outage = self.call("POST", "outage-notice", "/api/v1/outages", self.staff, json=body)
        oid = outage["outage_id"]
        self.call("POST", "outage-notice", f"/api/v1/outages/{oid}/start", self.staff, json={"remark": "已按计划停电"})
        self.report.tickets["outage"], self.report.tickets["outage_feeder"] = oid, feeder
        return oid

    def linked_repair(self, people: list[dict[str, Any]]) -> str:
        feeder = self.report.tickets["outage_feeder"]
        # Each try is a different customer on the cut feeder: a second call by the same one is a repeat.
        victims = iter([p for p in people if p["feeder_code"] == feeder][:15])

        def linked() -> dict[str, Any] | None:
            victim = next(victims, None)
            if victim is None:
                raise StepSkipped("intake never linked a repair call on the cut feeder to the outage")
            t = self.ticket({"channel": "app", "business_type": "fault_repair", "sub_type": "no_power_area",
                             "account_no": victim["account_no"], "summary": "小区停电"})
            return t if t.get("outage") else None

        t = wait_until(linked, 40, "intake to learn of the outage", interval=2.5)
        return f"{t['ticket_id']} linked to {t['outage']['outage_id']}"

    def crew_events(self) -> str:
        tid = self.report.tickets["repair"]
        order = wait_until(lambda: self.order(tid), DISPATCH_WAIT, f"dispatch to take {tid}")
        if not order.get("crew_code"):
            raise StepSkipped(f"{tid} was dispatched without a crew (no crew on duty at {order.get('station_code')})")
        for action in ("accept", "depart"):
            self.act(tid, action, self.crew, {"crew_code": order["crew_code"]})
        return f"{tid} {order['crew_code']} accepted, departed"

    def warnings_and_breach(self) -> str:
        tid = self.report.tickets["repair"]

        def breached() -> bool:
            o = self.order(tid) or {}
            return bool((o.get("marks") or {}).get("arrival", {}).get("breached"))

        with contextlib.suppress(StepSkipped):  # the marks' shape is dispatch's; the metrics below are what this step is for
            wait_until(breached, 75, f"an arrival breach on {tid}", interval=2)
        return "scanner ran"

    def arrive(self) -> str:
        tid = self.report.tickets["repair"]
        order = self.order(tid)
        if order is None:
            raise StepSkipped(f"dispatch has no order {tid}")
        if order.get("state") not in ("departed", "accepted", "dispatched"):
            return f"already {order.get('state')}"
        self.act(tid, "arrive", self.crew, {"crew_code": order.get("crew_code")})
        return f"{tid} on site"

    def dead_letter(self) -> str:
        asyncio.run(self._publish_raw("ticket.closed.v1", b'{"specversion": "1.0", "type": "not-an-event"}'))
        return "garbage on ticket.closed.v1"

    async def _publish_raw(self, topic: str, payload: bytes) -> None:
        from aiokafka import AIOKafkaProducer

        producer = AIOKafkaProducer(bootstrap_servers=f"127.0.0.1:{9092 + self.stack.offset}")
        await producer.start()
        try:
            await producer.send_and_wait(topic, payload, key=uuid.uuid4().hex.encode())
        finally:
            await producer.stop()

    def close_complaint(self) -> str:
        tid = self.report.tickets["complaint"]
        wait_until(lambda: self.order(tid), DISPATCH_WAIT, f"dispatch to take {tid}")
        self.act(tid, "reply", self.staff, {"outcome": "resolved", "content": "已联系客户致歉并对工作人员进行批评教育，客户表示认可。",
                                            "customer_contacted_at": now().isoformat()})
        self.act(tid, "audit", self.agent, {})  # 95598 audits the unit's reply; the return visit's result closes it
        return f"{tid} replied and audited"

    def return_visit(self) -> str:
        tid = self.report.tickets["complaint"]

        def due() -> dict[str, Any] | None:
            items = self.call("GET", "survey", f"/api/v1/return-visits?state=due&unit={TENANT}", self.leader)["items"]
            return next((v for v in items if v["ticket_id"] == tid), None)

        visit = wait_until(due, DISPATCH_WAIT, f"a return visit for {tid}")
        done = self.call("POST", "survey", f"/api/v1/return-visits/{visit['visit_id']}/result", self.leader,
                         json={"result": "fairly_satisfied", "comment": "客户认可处理结果"})
        return f"{done['visit_id']} {done['result']}"


def run_scenario(stack: Any) -> ScenarioReport:
    s = Scenario(stack)
    people = s.customers()
    if len(people) < 3:
        raise AssertionError("the demo seed has too few urban customers in " + TENANT)
    s.step("time-limit rule edited to a tiny limit", s.tiny_time_limits)
    time.sleep(5.5)  # dispatch caches a rule table for 5 s
    s.step("contacts on several channels and types", lambda: s.contacts(people))
    s.step("repeat call", lambda: s.repeat_call(people))
    s.step("late outage report", lambda: s.late_outage(people))
    s.step("repair call linked to the outage", lambda: s.linked_repair(people))
    s.step("crew events on the dispatched repair", s.crew_events)
    s.step("dead letter", s.dead_letter)
    s.step("complaint replied and audited", s.close_complaint)
    s.step("return-visit result", s.return_visit)
    s.step("time-limit warning and breach", s.warnings_and_breach)
    s.step("crew arrives", s.arrive)
    s.step("time-limit rule restored", s.restore_time_limits)
    return s.report
