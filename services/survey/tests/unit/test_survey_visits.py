"""Return visits (回访): due times from the rule table, results, satisfaction, HTTP and the consumer."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import httpx
import pytest
from faststream.kafka import TestKafkaBroker

from hotline_contracts import make_event
from hotline_contracts.events.dispatch import ReplyAuditedV1
from hotline_contracts.events.survey import ReturnVisitCompletedV1, ReturnVisitScheduledV1, ReturnVisitSkippedV1
from servicekit.audit import AuditLog
from servicekit.auth import Principal
from servicekit.calendar import CALENDAR_TABLE
from servicekit.errors import AppError
from servicekit.runtime import Runtime
from servicekit.uow import MemoryOutbox
from survey.adapters.memory import RecordingMetrics
from survey.app import create_app
from survey.bootstrap import fake_bootstrap
from survey.commands import RecordResult, ScheduleVisit
from survey.domain.model import RETURN_VISIT, RuleError, VisitRule, parse_rows, satisfaction_ratio
from survey.domain.sampling import decide
from survey.metrics import SurveyMetrics
from survey.ports import AlreadyCompleted
from survey.service import record_result, schedule_visit
from survey.settings import Settings

pytestmark = pytest.mark.unit

HOSTED = ["37", "3701", "370102", "370124"]
FRIDAY_EVENING = "2026-11-27T18:00:00+08:00"  # a Friday: one working day later is Monday
DIRECTOR = Principal(subject="u-370102-0007", tenant="370102", roles=frozenset({"centre_director"}))


def closed(ticket: str = "370102-20261127-000001", business_type: str = "fault_repair", at: str = FRIDAY_EVENING,
           tenant: str = "370102"):
    """95598 passed the order's reply (what survey now visits after; the close follows the visit)."""
    data = ReplyAuditedV1(ticket_id=ticket, reply_id=f"{ticket}-reply", passed=True, auditor="agent:u-37-1",
                          at=datetime.fromisoformat(at), business_type=business_type, responsible_unit=tenant)
    return make_event(data, tenant=tenant, source="/hotline/dispatch", subject=ticket)


class Harness:
    """The use cases on `fake_bootstrap`'s fakes; committed events land in `outbox`."""

    def __init__(self) -> None:
        self.outbox, self.metrics = MemoryOutbox(), RecordingMetrics()
        self.deps = fake_bootstrap(outbox=self.outbox, metrics=self.metrics, clock=lambda: datetime.fromisoformat(FRIDAY_EVENING))

    @property
    def published(self):
        return self.outbox.published

    async def schedule(self, envelope):
        closed = envelope.data
        cmd = ScheduleVisit(ticket_id=closed.ticket_id, business_type=str(closed.business_type), responsible_unit=closed.responsible_unit,
                            answered_at=closed.at, source_event_id=envelope.id, correlation_id=envelope.correlation_id)
        visit = (await schedule_visit(envelope.tenant, cmd, deps=self.deps)).visit
        return visit if visit.state == "scheduled" else None

    async def answer(self, visit_id: str, result: str, tenant: str = "370102"):
        return await record_result(tenant, RecordResult(visit_id, result, by="agent:u-1"), deps=self.deps)


async def test_a_repair_is_visited_24_hours_after_close_and_a_complaint_one_working_day_later():
    h = Harness()
    repair = await h.schedule(closed())
    complaint = await h.schedule(closed("370102-20261127-000002", "complaint"))
    assert repair.due_at == datetime.fromisoformat("2026-11-28T18:00:00+08:00")
    assert complaint.due_at == datetime.fromisoformat("2026-11-30T18:00:00+08:00")  # Saturday, Sunday skipped
    assert [e.type for e in h.published] == ["cn.95598.return_visit.scheduled.v1"] * 2
    assert h.published[1].data.due_at == complaint.due_at and h.published[1].data.visit_id == "RV-370102-20261127-000002"
    assert (h.published[1].subject, h.published[1].source) == ("370102-20261127-000002", "/hotline/survey")


async def test_national_holidays_are_not_working_days():
    h = Harness()
    visit = await h.schedule(closed("370102-20260930-000001", "complaint", at="2026-09-30T10:00:00+08:00"))
    assert visit.due_at.date() == date(2026, 10, 8)  # 国庆 1–7 Oct 2026: the 8th is the next working day


async def test_a_tenant_holiday_in_the_shared_calendar_table_moves_the_due_date():
    h = Harness()
    await h.deps.rules.save("370102", CALENDAR_TABLE, [{"date": "2026-11-30", "workday": False}],  # e.g. a local flood-recovery day
                            effective_from=datetime.fromisoformat("2026-11-01T00:00:00+08:00"), by=DIRECTOR)
    complaint = await h.schedule(closed(business_type="complaint"))
    assert complaint.due_at == datetime.fromisoformat("2026-12-01T18:00:00+08:00")  # Monday is off: Tuesday
    other = await h.schedule(closed("370124-20261127-000001", "complaint", tenant="370124"))
    assert other.due_at == datetime.fromisoformat("2026-11-30T18:00:00+08:00")  # another tenant keeps Monday


async def test_the_rule_table_is_data_a_new_version_changes_the_due_time():
    h = Harness()
    await h.deps.rules.save("370102", RETURN_VISIT, [{"business_type": "*", "delay_hours": 2}],
                            effective_from=datetime.fromisoformat("2026-11-01T00:00:00+08:00"), by=DIRECTOR)
    visit = await h.schedule(closed())
    assert visit.due_at == datetime.fromisoformat("2026-11-27T20:00:00+08:00")


async def test_praise_is_not_visited_and_says_so_so_dispatch_can_close_it():
    h = Harness()
    assert await h.schedule(closed("370102-20261127-000009", business_type="praise")) is None
    [skipped] = h.outbox.of_type(ReturnVisitSkippedV1)
    assert (skipped.ticket_id, skipped.reason) == ("370102-20261127-000009", "type_not_visited")
    assert h.outbox.of_type(ReturnVisitScheduledV1) == []
    due = await h.deps.visits.list("370102", state="scheduled", limit=10)
    assert due == []  # the decision is stored (idempotency) but is no task on the agents' due list


async def test_a_redelivered_audit_is_not_scheduled_or_announced_again():
    h = Harness()
    event = closed("370102-20261127-000003")
    first, again = await h.schedule(event), await h.schedule(event)
    assert first.visit_id == again.visit_id and len(h.deps.visits.rows) == 1
    assert len(h.published) == 1  # stored with the visit once; the outbox relay publishes it, again after a crash
    skip = closed("370102-20261127-000008", business_type="praise")
    await h.schedule(skip)
    await h.schedule(skip)
    assert len(h.outbox.of_type(ReturnVisitSkippedV1)) == 1


async def test_sampling_is_a_rule_and_decides_the_same_way_for_the_same_order():
    h = Harness()
    rows = [{"business_type": "fault_repair", "delay_hours": 24, "sample_percent": 50}, {"business_type": "*", "delay_hours": 24}]
    await h.deps.rules.save("370102", RETURN_VISIT, rows, effective_from=datetime.fromisoformat("2026-11-01T00:00:00+08:00"),
                            by=DIRECTOR)
    tickets = [f"370102-20261127-{n:06d}" for n in range(100, 140)]
    visited = {t for t in tickets if await h.schedule(closed(t)) is not None}
    skipped = {e.ticket_id for e in h.outbox.of_type(ReturnVisitSkippedV1)}
    assert visited and skipped and visited | skipped == set(tickets)  # about half each, every order answered
    assert {e.reason for e in h.outbox.of_type(ReturnVisitSkippedV1)} == {"not_sampled"}
    assert {t for t in tickets if decide(VisitRule("fault_repair", 24.0, sample_percent=50.0), t) is None} == visited
    with pytest.raises(RuleError) as bad:
        parse_rows([{"business_type": "complaint", "working_days": 1, "sample_percent": 120}])
    assert [p[0] for p in bad.value.problems] == ["rows.0.sample_percent"]


async def test_a_reclosed_order_gets_a_second_visit():
    h = Harness()
    first = await h.schedule(closed("370102-20261127-000004"))
    second = await h.schedule(closed("370102-20261127-000004", at="2026-11-28T09:00:00+08:00"))
    assert (first.visit_id, second.visit_id) == ("RV-370102-20261127-000004", "RV-370102-20261127-000004-2")


async def test_unsatisfied_asks_for_a_reopen_and_the_ratio_counts_only_answers():
    h = Harness()
    ids = [(await h.schedule(closed(f"370102-20261127-00001{i}"))).visit_id for i in range(4)]
    for visit_id, result in zip(ids, ["satisfied", "fairly_satisfied", "unsatisfied", "unreachable"], strict=True):
        done = await h.answer(visit_id, result)
    assert done.reopen_requested is False
    unhappy = h.published[-2]
    assert unhappy.data.result == "unsatisfied" and unhappy.data.reopen_requested is True
    assert unhappy.data.at == datetime.fromisoformat(FRIDAY_EVENING) and unhappy.data.by == "agent:u-1"
    assert h.metrics.ratios["370102"] == pytest.approx(2 / 3)
    with pytest.raises(AppError) as second:
        await h.answer(ids[0], "unsatisfied")
    assert second.value.status == 409
    assert len(h.outbox.of_type(ReturnVisitCompletedV1)) == 4  # the refused second answer announced nothing


async def test_a_result_that_loses_to_a_concurrent_one_is_refused_and_announces_nothing():
    h = Harness()
    visit = await h.schedule(closed())
    async with h.deps.uow("370102") as uow:  # another agent's answer, read before and stored after this one
        theirs = await uow.visits.get(visit.visit_id)
        await h.answer(visit.visit_id, "satisfied")
        uow.complete(dataclasses.replace(theirs, state="completed", result="unsatisfied"))
        uow.record(ReturnVisitCompletedV1(
            visit_id=theirs.visit_id, ticket_id=theirs.ticket_id, business_type=theirs.business_type,
            responsible_unit=theirs.responsible_unit, result="unsatisfied", method="phone", attempts=1, by="agent:u-2",
            at=datetime.fromisoformat(FRIDAY_EVENING)), subject=theirs.ticket_id)
        with pytest.raises(AlreadyCompleted):
            await uow.commit()
    assert [e.result for e in h.outbox.of_type(ReturnVisitCompletedV1)] == ["satisfied"]
    assert h.deps.visits.rows[("370102", visit.visit_id)].result == "satisfied"


async def test_an_unknown_visit_is_404_and_a_refusal_stores_nothing():
    h = Harness()
    with pytest.raises(AppError) as missing:
        await h.answer("RV-nope", "satisfied")
    assert missing.value.status == 404 and h.published == []


def test_rule_rows_are_validated():
    with pytest.raises(RuleError) as bad:
        parse_rows([{"business_type": "complaint", "delay_hours": 24, "working_days": 1}, {"business_type": "complaint", "delay_hours": -1}])
    assert {p[0] for p in bad.value.problems} == {"rows.0", "rows.1.business_type", "rows.1.delay_hours"}
    assert satisfaction_ratio({"unreachable": 3}) is None


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
    audit_dbs = FakeAuditDbs()
    runtime.audit = AuditLog(audit_dbs, "survey")  # type: ignore[arg-type]
    outbox = MemoryOutbox()
    deps = fake_bootstrap(HOSTED, outbox=outbox, metrics=SurveyMetrics(runtime.metrics.registry, settings.service_name))
    app = create_app(settings, runtime, start_dependencies=False, deps=deps)
    runtime.hooks_done = True

    async with TestKafkaBroker(runtime.broker) as broker:
        first = closed().model_dump_json().encode()
        await broker.publish(first, topic="reply.audited.v1")
        await broker.publish(first, topic="reply.audited.v1")  # redelivered: the same visit, counted as a duplicate
        await broker.publish(closed("370124-20261127-000001", "complaint", tenant="370124").model_dump_json().encode(),
                             topic="reply.audited.v1")
        await broker.publish(b'{"not": "an event"}', topic="reply.audited.v1")
        failed = ReplyAuditedV1(ticket_id="370102-20261127-000077", reply_id="r-77", passed=False, reasons=["缺少复电时间"],
                                auditor="agent:u-37-1", at=datetime.fromisoformat(FRIDAY_EVENING), business_type="complaint",
                                responsible_unit="370102")
        await broker.publish(make_event(failed, tenant="370102", source="/hotline/dispatch", subject=failed.ticket_id)
                             .model_dump_json().encode(), topic="reply.audited.v1")  # back to the unit: no visit
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://survey") as c:
            c.app, c.outbox, c.audit = app, outbox, audit_dbs.entries  # type: ignore[attr-defined]
            yield c


async def test_an_agent_lists_due_visits_of_the_province_and_records_a_result(client, bearer):
    agent = bearer("37", "agent", subject="agent:liuyang")
    due = (await client.get("/api/v1/return-visits", params={"state": "due"}, headers=agent)).json()["items"]
    assert [v["ticket_id"] for v in due] == ["370102-20261127-000001", "370124-20261127-000001"]
    r = await client.post(f"/api/v1/return-visits/{due[0]['visit_id']}/result", headers=agent,
                          json={"result": "unsatisfied", "comment": "客户说还没修好，电话13812345678"})
    assert r.status_code == 200 and r.json()["reopen_requested"] is True
    assert r.json()["comment"] == "客户说还没修好，电话138****5678"
    assert [e.reopen_requested for e in client.outbox.of_type(ReturnVisitCompletedV1)] == [True]
    assert len(client.outbox.of_type(ReturnVisitScheduledV1)) == 2  # one per closure, the redelivery announced nothing
    await client.app.state.runtime.audit.drain()
    assert [(e["action"], e["result"]) for e in client.audit] == [("survey.record", "ok")]
    left = (await client.get("/api/v1/return-visits", params={"state": "due"}, headers=agent)).json()["items"]
    assert [v["ticket_id"] for v in left] == ["370124-20261127-000001"]
    metrics = (await client.get("/metrics")).text
    assert 'hotline_return_visits_total{result="unsatisfied",service="survey",tenant="370102"} 1.0' in metrics
    assert 'hotline_satisfaction_ratio{service="survey",tenant="370102"} 0.0' in metrics
    assert 'hotline_dead_letters_total{reason="validation_failed",service="survey",topic="reply.audited.v1"} 1.0' in metrics
    assert 'hotline_events_consumed_total{result="duplicate",service="survey",topic="reply.audited.v1"} 1.0' in metrics


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
