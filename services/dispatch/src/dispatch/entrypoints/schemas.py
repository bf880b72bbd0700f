"""HTTP request bodies (pydantic lives at the edge), each with an OpenAPI example."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from hotline_contracts.events.common import UnitCode
from hotline_contracts.events.dispatch import FaultClassification, ReplyOutcome
from hotline_contracts.events.ticket import ReopenCause, Resolution, ReturnReason

Reason = Field(min_length=1, max_length=200, examples=["客户要求改约时间"])


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CrewStepBody(Body):
    """班组接单/出发/到达."""

    crew_code: str | None = Field(default=None, max_length=32, examples=["370102-S01-C1"])
    at: AwareDatetime | None = Field(default=None, description="发生时间（缺省为现在）; when it happened")
    reason: str | None = Field(default=None, max_length=200)


class CompleteBody(Body):
    """抢修完成回单."""

    crew_code: str | None = Field(default=None, max_length=32, examples=["370102-S01-C1"])
    cause: str = Field(min_length=1, max_length=200, examples=["接户线被树枝压断"])
    fault_class: FaultClassification
    customer_side_fault: bool = False
    departed_at: AwareDatetime
    arrived_at: AwareDatetime
    restored_at: AwareDatetime | None = None


class ReplyBody(Body):
    """回单. A fault repair's reply also carries its repair facts (cause, fault class, departure, arrival,
    restoration), as the crew's completion does: without them it is refused (422, per field)."""

    outcome: ReplyOutcome = Field(examples=["resolved"])
    content: str = Field(min_length=1, max_length=2000, examples=["已联系客户并解释电费构成，客户表示理解。"])
    customer_contacted_at: AwareDatetime | None = None
    cause: str | None = Field(default=None, min_length=1, max_length=200, examples=["接户线被树枝压断"])
    fault_class: FaultClassification | None = None
    customer_side_fault: bool = False
    departed_at: AwareDatetime | None = None
    arrived_at: AwareDatetime | None = None
    restored_at: AwareDatetime | None = None


class AuditBody(Body):
    """回单审核: the automatic checks run; an auditor may add reasons of their own."""

    reasons: list[str] = Field(default_factory=list, max_length=10, examples=[["回复内容未说明处理结果"]])


class ReturnBody(Body):
    reason_code: ReturnReason = Field(examples=["wrong_unit"])
    reason: str = Reason


class TransferBody(Body):
    to_unit: UnitCode
    reason: str = Reason


class SuspendBody(Body):
    reason_code: str = Field(min_length=1, max_length=32, examples=["waiting_customer"])
    reason: str = Reason


class ReasonBody(Body):
    reason: str | None = Field(default=None, max_length=200, examples=["客户已同意"])


class CloseBody(Body):
    resolution: Resolution = Resolution.RESOLVED
    reason: str | None = Field(default=None, max_length=200)


class ReopenBody(Body):
    cause: ReopenCause = Field(examples=["unsatisfied_return_visit"])
    reason: str = Reason


class ReassignBody(Body):
    crew_code: str = Field(min_length=1, max_length=32, examples=["370102-S01-C2"])
    reason: str = Reason


class UrgeBody(Body):
    reason: str = Field(min_length=1, max_length=200, examples=["客户第三次来电催问"])


class RulesBody(Body):
    """A new version of a rule table, effective from the given time."""

    effective_from: AwareDatetime
    rows: list[dict] = Field(max_length=500, examples=[[{"id": "route-fallback", "to_unit": "$responsible"}]])


class HandoverBody(Body):
    """交接班: the leaving and arriving shifts, the leaving shift's agents and important matters."""

    leaving_shift: str = Field(max_length=40, examples=["2026-11-26/day"])
    arriving_shift: str = Field(max_length=40, examples=["2026-11-26/night"])
    agents: list[str] = Field(default_factory=list, max_length=200, examples=[["agent:u-37-0001"]])
    important_matters: str | None = Field(default=None, max_length=2000, examples=["370102 重要用户停电工单需持续跟踪"])


class HandoverCheck(Body):
    ticket_id: str = Field(min_length=1, max_length=64)
    note: str = Field(min_length=1, max_length=200, examples=["已电话核实，抢修班组在途"])


class ConfirmBody(Body):
    side: Literal["leaving", "arriving"]
    comments: list[str] = Field(default_factory=list, max_length=50, examples=[["已逐单催办"]])
    checks: list[HandoverCheck] = Field(default_factory=list, max_length=500)
