"""The outage loop closed (停电闭环): 500 calls inside a published outage wait on it, and its restoration ends them.

Through the stack's public HTTP APIs and Kafka only (the seeded customer list is read to know who
lives under the outage, as a caller would know their own account number):
publish and start a grid-fault outage over the supply stations of 500+ customers, make 500 repair
calls from them through intake, and watch the topics meanwhile with a plain consumer. With the
repair arrival limit cut to 3 s, any running clock would breach within one scan: none may. Then
restore the outage: every order is closed by it and every caller is told of the restoration once.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from aiokafka import AIOKafkaConsumer
from pymongo import MongoClient

from tests.e2e.customers import handed_out, outage_scope, take

TENANT = "370102"
CALLS = 500
WATCHED = (
    "ticket.linked_to_outage.v1", "ticket.dispatched.v1", "crew.assigned.v1", "timelimit.warning_raised.v1",
    "timelimit.breached.v1", "ticket.urged.v1", "supervision.raised.v1", "ticket.closed.v1", "notification.sent.v1",
)
SCAN_SECONDS = 30  # dispatch's default scan interval: waiting longer than one lets a running clock show


class TopicWatch:
    """Every message on the watched topics from now on, by topic (a plain consumer in its own thread)."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.seen: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.lock = threading.Lock()
        self.ready = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def __enter__(self) -> TopicWatch:
        self.thread.start()
        assert self.ready.wait(90), "the topic watcher did not join its group"
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join(30)

    async def _run(self) -> None:
        consumer = AIOKafkaConsumer(*WATCHED, bootstrap_servers=self.bootstrap, group_id=f"e2e-loop-{uuid.uuid4().hex[:8]}",
                                    auto_offset_reset="latest", fetch_max_wait_ms=100)
        await consumer.start()
        try:
            while not consumer.assignment():  # "latest" only means something once partitions are assigned
                await consumer.getmany(timeout_ms=200)
            for tp in consumer.assignment():
                await consumer.position(tp)
            self.ready.set()
            while not self.stopping.is_set():
                for tp, records in (await consumer.getmany(timeout_ms=200)).items():
                    with self.lock:
                        self.seen[tp.topic] += [json.loads(r.value) for r in records]
        finally:
            await consumer.stop()

    def data(self, topic: str, tickets: set[str] | None = None) -> list[dict[str, Any]]:
        with self.lock:
            rows = [m["data"] for m in self.seen[topic] if m.get("tenant") == TENANT]
        return [d for d in rows if tickets is None or d.get("ticket_id") in tickets]


def wait_for(probe: Any, timeout: float, what: str, interval: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def residents(stack: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """Supply stations holding 600+ ordinary customers (no arrears, not important) and, of them, the customers no
    other test had. Stations with any part under another outage are left out: their callers would join that one."""
    uri = f"mongodb://127.0.0.1:{27017 + stack.offset}/?retryWrites=false&directConnection=true"
    scope = outage_scope(stack, TENANT)
    with MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
        rows = list(client[f"hotline_{TENANT}"]["customers"].find(
            {"tenant": TENANT, "arrears_status": "none", "important": False, "dedicated_transformer": {"$ne": True}},
            {"_id": 0, "account_no": 1, "station_code": 1, "feeder_code": 1, "ta_code": 1}))
    outage_parts = {f: scope[f] for f in ("feeder_code", "station_code", "ta_code")}
    touched = {r["station_code"] for r in rows if any(r.get(f) in codes for f, codes in outage_parts.items())}
    rows = [r for r in rows if r["station_code"] not in touched and not handed_out(TENANT, r["account_no"])
            and r["account_no"] not in scope["account_no"]]
    by_station = Counter(r["station_code"] for r in rows)
    stations: list[str] = []
    for station, _ in by_station.most_common():
        stations.append(station)
        if sum(by_station[s] for s in stations) >= CALLS + 100:
            break
    people = take(TENANT, (r for r in rows if r["station_code"] in stations), CALLS + 100)
    assert len(people) >= CALLS + 100, f"the seed has only {len(people)} ordinary customers in {TENANT} free for this test"
    return stations, people


def test_calls_inside_an_outage_wait_on_it_and_its_restoration_closes_and_tells_each_once(stack) -> None:
    urls = stack.urls
    agent = stack.token("37", ["agent"], subject="agent:e2e-loop")
    staff = stack.token(TENANT, ["unit_staff"], subject="staff:e2e-loop")
    maintainer = stack.token(TENANT, ["system_maintainer"], subject="maint:e2e-loop")
    http = httpx.Client(timeout=30)

    def call(method: str, service: str, path: str, token: str, **kw: Any) -> Any:
        r = http.request(method, urls[service] + path, headers={"Authorization": f"Bearer {token}"}, **kw)
        assert r.status_code in (200, 201), f"{method} {service}{path} → {r.status_code}: {r.text[:400]}"
        return r.json()

    stations, people = residents(stack)
    # Quiet hours would hold the (non-urgent) restoration notice until morning: move them far from now.
    quiet = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(hours=6)
    notice_rules = call("GET", "outage-notice", f"/api/v1/outage-rules/outage_notice?unit={TENANT}", maintainer)
    settings = dict(notice_rules["settings"], quiet_start=quiet.strftime("%H:%M"),
                    quiet_end=(quiet + timedelta(minutes=1)).strftime("%H:%M"))
    call("PUT", "outage-notice", f"/api/v1/outage-rules/outage_notice?unit={TENANT}", maintainer,
         json={"rows": [], "settings": settings, "description": notice_rules.get("description")})
    # A 3-second arrival limit: any repair clock left running would breach within one scan.
    limits = call("GET", "dispatch", f"/api/v1/rules/timelimits?tenant={TENANT}", maintainer)["rows"]
    tiny = [dict(r, limit_minutes=0.05) if r.get("business_type") == "fault_repair" and r.get("limit_minutes") else r for r in limits]
    call("PUT", "dispatch", f"/api/v1/rules/timelimits?tenant={TENANT}", maintainer,
         json={"effective_from": (datetime.now(UTC) - timedelta(seconds=1)).isoformat(), "rows": tiny})
    try:
        with TopicWatch(f"127.0.0.1:{9092 + stack.offset}") as watch:
            run_loop(call, watch, stations, people, agent, staff, http, urls)
    finally:
        call("PUT", "dispatch", f"/api/v1/rules/timelimits?tenant={TENANT}", maintainer,
             json={"effective_from": datetime.now(UTC).isoformat(), "rows": limits})


def run_loop(call: Any, watch: TopicWatch, stations: list[str], people: list[dict[str, Any]], agent: str, staff: str,
             http: httpx.Client, urls: dict[str, str]) -> None:
    now = datetime.now(UTC)
    outage = call("POST", "outage-notice", "/api/v1/outages", staff, json={
        "outage_type": "grid_fault", "scope": {"station_codes": stations, "feeder_codes": [], "ta_codes": [], "area": None},
        "planned_start": now.isoformat(), "planned_end": (now + timedelta(hours=3)).isoformat(),
        "cause": "10kV线路故障跳闸（e2e）", "publish": True})
    oid = outage["outage_id"]
    call("POST", "outage-notice", f"/api/v1/outages/{oid}/start", staff, json={"remark": "故障停电"})

    def repair(person: dict[str, Any]) -> dict[str, Any]:
        answer = call("POST", "intake", "/api/v1/tickets", agent, json={
            "channel": "hotline", "business_type": "fault_repair", "sub_type": "no_power_area",
            "account_no": person["account_no"], "summary": "小区整片停电"})
        return answer | {"caller": person["account_no"]}

    # Intake hears of the outage over Kafka: probe with one caller at a time until a call is linked.
    queue = iter(people)
    first = wait_for(lambda: (lambda t: t if (t.get("outage") or {}).get("outage_id") == oid else None)(repair(next(queue))),
                     60, "intake to link a call to the outage", interval=2)
    with ThreadPoolExecutor(8) as pool:
        answers = [first, *pool.map(repair, [next(queue) for _ in range(CALLS - 1)])]
    tickets = {a["ticket_id"] for a in answers}
    assert all(a["created"] and not a["repeat"] for a in answers), "every caller opens an order of their own"
    assert len(tickets) == CALLS
    unlinked = [a["ticket_id"] for a in answers if (a.get("outage") or {}).get("outage_id") != oid]
    assert unlinked == [], f"calls not answered with the outage: {unlinked[:5]}"
    mine = {a["caller"] for a in answers}

    def order(tid: str) -> dict[str, Any] | None:
        r = http.get(f"{urls['dispatch']}/api/v1/work-orders/{tid}", headers={"Authorization": f"Bearer {staff}"})
        return r.json() if r.status_code == 200 else None

    def all_in(state: str) -> bool:
        return all((order(t) or {}).get("state") == state for t in tickets)

    wait_for(lambda: all_in("awaiting_outage"), 180, "dispatch to take all 500 calls as waiting on the outage", interval=3)
    assert len({d["ticket_id"] for d in watch.data("ticket.linked_to_outage.v1", tickets)}) == CALLS
    sample = order(next(iter(tickets))) or {}
    assert sample["crew_code"] is None and sample["outage_id"] == oid
    time.sleep(SCAN_SECONDS + 10)  # a scan ran with all of them open (and the 3 s limit long past)
    for topic in ("ticket.dispatched.v1", "crew.assigned.v1", "timelimit.warning_raised.v1", "timelimit.breached.v1",
                  "ticket.urged.v1", "supervision.raised.v1", "ticket.closed.v1"):
        assert watch.data(topic, tickets) == [], f"{topic} for calls waiting on the outage"
    view = call("GET", "outage-notice", f"/api/v1/outages/{oid}", staff)
    assert view["linked_calls"] == CALLS

    call("POST", "outage-notice", f"/api/v1/outages/{oid}/restore", staff, json={"remark": "已恢复送电"})
    closed = wait_for(lambda: (lambda c: c if len(c) >= CALLS else None)(watch.data("ticket.closed.v1", tickets)),
                      120, "ticket.closed.v1 for all 500 orders", interval=2)
    assert Counter(c["ticket_id"] for c in closed) == Counter(dict.fromkeys(tickets, 1))
    assert {c["resolution"] for c in closed} == {"outage_restored"}
    assert all_in("closed"), "dispatch's API shows every order closed"

    def told(purpose: str) -> Counter[str]:
        sent = [d for d in watch.data("notification.sent.v1") if d.get("outage_id") == oid and d.get("purpose") == purpose]
        return Counter(d["account_no"] for d in sent)

    wait_for(lambda: mine <= set(told("restoration")), 120, "each caller's restoration notice", interval=2)
    time.sleep(12)  # two more delivery rounds: a second message would show now
    restoration, announced = told("restoration"), told("outage_notice")
    assert {a: restoration[a] for a in mine} == dict.fromkeys(mine, 1), "each caller told of the restoration once"
    assert {a: announced[a] for a in mine} == dict.fromkeys(mine, 1), "each caller told of the outage once"
    assert watch.data("ticket.dispatched.v1", tickets) == [] and watch.data("timelimit.breached.v1", tickets) == []
