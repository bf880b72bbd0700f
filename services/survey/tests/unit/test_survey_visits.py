"""Return visits (回访): due times from the rule table, results, satisfaction, HTTP and the consumer."""

from __future__ import annotations

from datetime import date, datetime

import httpx
import pytest
from faststream.kafka import TestKafkaBroker

from hotline_contracts import make_event
from hotline_contracts.events.ticket import TicketClosedV1
from servicekit.audit import AuditLog
from servicekit.kafka import EventConsumer
from servicekit.runtime import Runtime
from survey.adapters.memory import MemoryRules, MemoryVisits, RecordingMetrics
from survey.app import create_app
from survey.deps import default_table
from survey.domain.calendar import is_workday
from survey.domain.model import RuleError, parse_rows, satisfaction_ratio
from survey.service import VisitResult, record_result, schedule_visit
from survey.settings import Settings

pytestmark = pytest.mark.unit

HOSTED = ["37", "3701", "370102", "370124"]
FRIDAY_EVENING = "2026-11-27T18:00:00+08:00"  # a Friday: one working day later is Monday


def closed(ticket: str = "370102-20261127-000001", business_type: str = "fault_repair", at: str = FRIDAY_EVENING,
           tenant: str = "370102"):
    data = TicketClosedV1(ticket_id=ticket, business_type=business_type, responsible_unit=tenant, resolution="resolved",
                          within_time_limit=True, closed_by="staff:u-1", at=datetime.fromisoformat(at))
    return make_event(data, tenant=tenant, source="/hotline/dispatch", subject=ticket)


class Harness:
    def __init__(self) -> None:
        self.visits, self.rules, self.metrics, self.published = MemoryVisits(), MemoryRules(), RecordingMetrics(), []

    async def publish(self, envelope) -> None:
        self.published.append(envelope)

    async def schedule(self, envelope):
        await self.rules.ensure_default(default_table(envelope.tenant))
        return await schedule_visit(envelope, repo=self.visits, rules=self.rules, publish=self.publish, is_workday=is_workday)

    async def answer(self, visit_id: str, result: str, tenant: str = "370102"):
        return await record_result(tenant, visit_id, VisitResult(result), by="agent:u-1", repo=self.visits,
                                   publish=self.publish, metrics=self.metrics, clock=lambda: datetime.fromisoformat(FRIDAY_EVENING))


async def test_a_repair_is_visited_24_hours_after_close_and_a_complaint_one_working_day_later():
    h = Harness()
    repair = await h.schedule(closed())
    complaint = await h.schedule(closed("370102-20261127-000002", "complaint"))
    assert repair.due_at == datetime.fromisoformat("2026-11-28T18:00:00+08:00")
    assert complaint.due_at == datetime.fromisoformat("2026-11-30T18:00:00+08:00")  # Saturday, Sunday skipped
    assert [e.type for e in h.published] == ["cn.95598.return_visit.scheduled.v1"] * 2
    assert h.published[1].data.due_at == complaint.due_at and h.published[1].data.visit_id == "RV-370102-20261127-000002"


async def test_national_holidays_are_not_working_days():
    h = Harness()
    visit = await h.schedule(closed("370102-20260930-000001", "complaint", at="2026-09-30T10:00:00+08:00"))
    assert visit.due_at.date() == date(2026, 10, 8)  # 国庆 1–7 Oct 2026: the 8th is the next working day


async def test_the_rule_table_is_data_a_new_version_changes_the_due_time():
    h = Harness()
    await h.rules.ensure_default(default_table("370102"))
    await h.rules.save(default_table("370102").__class__(
        "370102", datetime.fromisoformat("2026-11-01T00:00:00+08:00"), None, 0,
        parse_rows([{"business_type": "*", "delay_hours": 2}])))
    visit = await h.schedule(closed())
    assert visit.due_at == datetime.fromisoformat("2026-11-27T20:00:00+08:00")


async def test_praise_gets_no_visit_and_a_redelivered_closure_publishes_the_same_visit():
    h = Harness()
    assert await h.schedule(closed(business_type="praise")) is None
    event = closed("370102-20261127-000003")
    first, again = await h.schedule(event), await h.schedule(event)
    assert first.visit_id == again.visit_id and len(h.visits.rows) == 1


async def test_unsatisfied_asks_for_a_reopen_and_the_ratio_counts_only_answers():
    h = Harness()
    ids = [(await h.schedule(closed(f"370102-20261127-00001{i}"))).visit_id for i in range(4)]
    for visit_id, result in zip(ids, ["satisfied", "fairly_satisfied", "unsatisfied", "unreachable"], strict=True):
        done = await h.answer(visit_id, result)
    assert done.reopen_requested is False
    unhappy = h.published[-2]
    assert unhappy.data.result == "unsatisfied" and unhappy.data.reopen_requested is True
    assert h.metrics.ratios["370102"] == pytest.approx(2 / 3)
    with pytest.raises(Exception) as second:
        await h.answer(ids[0], "unsatisfied")
    assert getattr(second.value, "status", None) == 409


def test_rule_rows_are_validated():
    with pytest.raises(RuleError) as bad:
        parse_rows([{"business_type": "complaint", "delay_hours": 24, "working_days": 1}, {"business_type": "complaint", "delay_hours": -1}])
    assert {p[0] for p in bad.value.problems} == {"rows.0", "rows.1.business_type", "rows.1.delay_hours"}
    assert satisfaction_ratio({"unreachable": 3}) is None


class FakeProcessed:
    """The consumer's processed-event ids, in memory."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()

    async def claim(self, tenant: str, event_id: str) -> bool:
        fresh = (tenant, event_id) not in self.seen
        self.seen.add((tenant, event_id))
        return fresh

    async def release(self, tenant: str, event_id: str) -> None:
        self.seen.discard((tenant, event_id))


class FakeAuditDbs:
    def __init__(self) -> None:
        self.entries: list[dict] = []

    def for_tenant(self, tenant: str):
        entries = self.entries

        class Col:
            async def insert_one(self, doc):
                entries.append(doc)

        return {"audit_log": Col()}


@pytest.fixture
async def client(issuer_key):
    settings = Settings(hosted_tenants=HOSTED, auth_jwks_path=str(issuer_key.parent / "jwks.json"))
    runtime = Runtime.build(settings)
    processed = FakeProcessed()
    runtime.consumer = lambda *a, **k: EventConsumer(  # type: ignore[method-assign]
        settings=settings, metrics=runtime.metrics, dead_letters=runtime.dead_letters, processed=processed
    )
    audit_dbs = FakeAuditDbs()
    runtime.audit = AuditLog(audit_dbs, "survey")  # type: ignore[arg-type]
    visits, rules = MemoryVisits(), MemoryRules()
    app = create_app(settings, runtime, start_dependencies=False, visits=visits, rules=rules)
    runtime.hooks_done = True
    for tenant in HOSTED:
        await rules.ensure_default(default_table(tenant))
    published: list[dict] = []

    @runtime.broker.subscriber("return_visit.completed.v1")
    async def seen(body: dict) -> None:
        published.append(body)

    async with TestKafkaBroker(runtime.broker) as broker:

        await broker.publish(closed().model_dump_json().encode(), topic="ticket.closed.v1")
        await broker.publish(closed("370124-20261127-000001", "complaint", tenant="370124").model_dump_json().encode(),
                             topic="ticket.closed.v1")
        await broker.publish(b'{"not": "an event"}', topic="ticket.closed.v1")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://survey") as c:
            c.app, c.published, c.audit = app, published, audit_dbs.entries  # type: ignore[attr-defined]
            yield c


async def test_an_agent_lists_due_visits_of_the_province_and_records_a_result(client, bearer):
    agent = bearer("37", "agent", subject="agent:liuyang")
    due = (await client.get("/api/v1/return-visits", params={"state": "due"}, headers=agent)).json()["items"]
    assert [v["ticket_id"] for v in due] == ["370102-20261127-000001", "370124-20261127-000001"]
    r = await client.post(f"/api/v1/return-visits/{due[0]['visit_id']}/result", headers=agent,
                          json={"result": "unsatisfied", "comment": "客户说还没修好，电话13812345678"})
    assert r.status_code == 200 and r.json()["reopen_requested"] is True
    assert r.json()["comment"] == "客户说还没修好，电话138****5678"
    assert [e["data"]["reopen_requested"] for e in client.published] == [True]
    await client.app.state.runtime.audit.drain()
    assert [(e["action"], e["result"]) for e in client.audit] == [("survey.record", "ok")]
    left = (await client.get("/api/v1/return-visits", params={"state": "due"}, headers=agent)).json()["items"]
    assert [v["ticket_id"] for v in left] == ["370124-20261127-000001"]
    metrics = (await client.get("/metrics")).text
    assert 'hotline_return_visits_total{result="unsatisfied",service="survey",tenant="370102"} 1.0' in metrics
    assert 'hotline_satisfaction_ratio{service="survey",tenant="370102"} 0.0' in metrics
    assert 'hotline_dead_letters_total{reason="validation_failed",service="survey",topic="ticket.closed.v1"} 1.0' in metrics


async def test_scope_roles_and_bad_results_are_refused(client, bearer):
    sibling = bearer("370124", "agent")
    assert (await client.get("/api/v1/return-visits", params={"unit": "370102"}, headers=sibling)).status_code == 404
    mine = (await client.get("/api/v1/return-visits", headers=sibling)).json()["items"]
    assert [v["tenant"] for v in mine] == ["370124"]
    crew = bearer("370102", "field_crew")
    assert (await client.post("/api/v1/return-visits/RV-370102-20261127-000001/result", headers=crew,
                              json={"result": "satisfied"})).status_code == 403
    other = await client.post("/api/v1/return-visits/RV-370102-20261127-000001/result", headers=sibling, json={"result": "satisfied"})
    assert other.status_code == 404
    bad = await client.post("/api/v1/return-visits/RV-370102-20261127-000001/result", headers=bearer("37", "agent"),
                            json={"result": "happy"})
    assert bad.status_code == 422


async def test_the_rule_table_is_readable_and_a_broken_version_is_refused(client, bearer):
    director = bearer("370102", "centre_director")
    current = await client.get("/api/v1/rules/return-visit", params={"unit": "370102"}, headers=director)
    assert current.status_code == 200 and current.json()["version"] == 1
    broken = await client.put("/api/v1/rules/return-visit", params={"unit": "370102"}, headers=director,
                              json={"rows": [{"business_type": "complaint"}]})
    assert broken.status_code == 422
    saved = await client.put("/api/v1/rules/return-visit", params={"unit": "370102"}, headers=director,
                             json={"rows": [{"business_type": "*", "working_days": 2}]})
    assert saved.status_code == 200 and saved.json()["version"] == 2
