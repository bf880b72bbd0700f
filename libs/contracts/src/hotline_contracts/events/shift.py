"""Shift handover (交接班) events."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from hotline_contracts.envelope import EventData
from hotline_contracts.events.common import ActorId, LongText, ShortText, TicketId


class HandoverConfirmation(BaseModel):
    """交接确认: who confirmed the handover on each side."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    leaving: ActorId = Field(examples=["agent:zhangsan"], description="交班人; leaving agent")
    arriving: ActorId = Field(examples=["agent:lisi"], description="接班人; arriving agent")

    @model_validator(mode="after")
    def _two_people(self) -> HandoverConfirmation:
        if self.leaving == self.arriving:
            raise ValueError("both sides of a handover confirm, so they are different people")
        return self


class ShiftHandoverPublishedV1(EventData):
    """交接班记录: the leaving shift handed its unresolved orders to the arriving shift."""

    event_name: ClassVar[str] = "shift_handover.published"
    event_version: ClassVar[int] = 1

    handover_id: str = Field(min_length=1, max_length=64, examples=["HO-370102-20261126-night"])
    centre: ShortText = Field(examples=["370102"], description="客服中心（单位代码）; service centre")
    leaving_shift: ShortText = Field(examples=["2026-11-26/day"], description="交班班次; leaving shift")
    arriving_shift: ShortText = Field(examples=["2026-11-26/night"], description="接班班次")
    open_ticket_ids: list[TicketId] = Field(
        default_factory=list,
        description="未办结工单，最临近超时者在前; unresolved orders, nearest to breach first",
    )
    confirmed_by: HandoverConfirmation
    shift_leader: ActorId = Field(description="值班长; shift leader who wrote the record")
    important_matters: LongText | None = Field(
        default=None, description="重要事项（班组事务、重要工单）; team matters, important orders"
    )
    comments: list[ShortText] = Field(
        default_factory=list, description="接班方督办核查意见; arriving shift's comments"
    )
    at: AwareDatetime

    @model_validator(mode="after")
    def _distinct(self) -> ShiftHandoverPublishedV1:
        if len(set(self.open_ticket_ids)) != len(self.open_ticket_ids):
            raise ValueError("open_ticket_ids must not repeat")
        if self.leaving_shift == self.arriving_shift:
            raise ValueError("leaving and arriving shift must differ")
        return self
