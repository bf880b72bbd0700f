"""Entrypoints only translate: an event or a request body becomes the typed command the use case takes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch import commands as c
from dispatch.entrypoints import consumers
from dispatch.entrypoints import schemas as s
from dispatch.entrypoints.http import ACTIONS, to_command
from dispatch_builders import created_event, local
from hotline_contracts import make_event
from hotline_contracts.events.dispatch import FaultClassification, RepairCompletedV1

pytestmark = pytest.mark.unit
TID = "370102-20261126-000001"


def test_a_ticket_created_event_becomes_take_new_ticket_with_its_event_id_and_publication_time():
    envelope = make_event(created_event(TID, important=True), tenant="370102", source="/hotline/intake", subject=TID)
    cmd = consumers.new_ticket(envelope)
    assert isinstance(cmd, c.TakeNewTicket)
    assert (cmd.ticket_id, cmd.business_type, cmd.channel, cmd.area_class, cmd.urgency) == (
        TID, "fault_repair", "hotline", "urban", "normal")
    assert (cmd.important, cmd.station_code, cmd.accepted_at) == (True, "370102-S01", local(2026, 11, 26, 9, 0))
    assert (cmd.event_id, cmd.published_at) == (envelope.id, envelope.time)


def test_a_repair_completed_event_becomes_complete_with_the_report_as_reply():
    at = local(2026, 11, 26, 10, 0)
    data = RepairCompletedV1(ticket_id=TID, crew_code="370102-S01-C1", handler="crew:u-1", at=at, cause="树障",
                             fault_class=FaultClassification(level1="低压故障"), departed_at=at - timedelta(minutes=40),
                             arrived_at=at - timedelta(minutes=20), restored_at=at)
    cmd = consumers.COMMANDS["repair.completed.v1"](data)
    assert isinstance(cmd, c.Complete) and (cmd.actor, cmd.at, cmd.crew_code) == ("crew:u-1", at, "370102-S01-C1")
    assert cmd.reply["kind"] == "repair" and cmd.reply["cause"] == "树障" and "ticket_id" not in cmd.reply


BODIES = {
    "accept": s.CrewStepBody(crew_code="370102-S01-C1", at=local(2026, 11, 26, 9, 5)),
    "depart": s.CrewStepBody(), "arrive": s.CrewStepBody(reason="到达"),
    "complete": s.CompleteBody(cause="树障", fault_class={"level1": "低压故障"}, departed_at=local(2026, 11, 26, 9, 5),
                               arrived_at=local(2026, 11, 26, 9, 30)),
    "reply": s.ReplyBody(outcome="resolved", content="已处理"),
    "audit": s.AuditBody(reasons=["未说明处理结果"]),
    "return": s.ReturnBody(reason_code="wrong_unit", reason="非本单位"),
    "transfer": s.TransferBody(to_unit="370124", reason="属地"),
    "suspend": s.SuspendBody(reason_code="waiting_customer", reason="客户不在家"),
    "resume": s.ReasonBody(), "return_visit": s.ReasonBody(reason="回访"), "archive": s.ReasonBody(),
    "reopen": s.ReopenBody(cause="unsatisfied_return_visit", reason="不满意"),
    "close": s.CloseBody(), "reassign": s.ReassignBody(crew_code="370102-S01-C2", reason="就近"),
}


def test_every_http_action_has_a_command_carrying_its_body():
    assert set(BODIES) == set(ACTIONS)
    made = {action: to_command(action, TID, body, "agent:u-37-0001") for action, body in BODIES.items()}
    assert all(cmd.action == action and cmd.ticket_id == TID for action, cmd in made.items())
    assert made["accept"].crew_code == "370102-S01-C1" and made["accept"].at == local(2026, 11, 26, 9, 5)
    reply = made["complete"].reply
    assert (reply["kind"], reply["handler"], reply["cause"]) == ("repair", "agent:u-37-0001", "树障")
    assert reply["departed_at"] == "2026-11-26T09:05:00+08:00" and reply["fault_class"]["level1"] == "低压故障"
    assert made["reply"].reply["kind"] == "reply" and made["reply"].reply["by"] == "agent:u-37-0001"
    assert made["audit"].reasons == ("未说明处理结果",)
    assert (made["return"].reason_code, made["return"].reason) == ("wrong_unit", "非本单位")
    assert made["transfer"].to_unit == "370124" and made["reassign"].crew_code == "370102-S01-C2"
    assert made["suspend"].reason_code == "waiting_customer" and made["arrive"].reason == "到达"
    assert (made["reopen"].cause, made["close"].resolution) == ("unsatisfied_return_visit", "resolved")
    assert type(made["reopen"].cause) is str and type(made["return"].reason_code) is str
