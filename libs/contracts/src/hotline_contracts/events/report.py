"""Report (报表) events: daily, weekly and monthly KPI reports per unit, rolled up the org tree."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar

from pydantic import AwareDatetime, Field, model_validator

from hotline_contracts.envelope import EventData
from hotline_contracts.events.common import ActorId, ReportPeriod, UnitCode
from hotline_contracts.tenancy import is_within

KpiName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
KpiValue = Annotated[float, Field(allow_inf_nan=False)]


class ReportPublishedV1(EventData):
    """报表发布: a unit's daily, weekly or monthly report is final.

    A weekly period starts on a Monday and a monthly one on the 1st. A unit above county level
    lists the units whose reports it rolled up (`rolled_up_from`, all inside it).
    """

    event_name: ClassVar[str] = "report.published"
    event_version: ClassVar[int] = 1

    report_id: str = Field(min_length=1, max_length=64, examples=["RPT-3701-monthly-2026-10"])
    period: ReportPeriod
    period_start: date = Field(examples=["2026-10-01"], description="统计周期起始日; first day")
    unit_code: UnitCode
    rolled_up_from: list[UnitCode] = Field(
        default_factory=list,
        examples=[["370102", "370103"]],
        description="汇总自下级单位; lower units whose reports were rolled up",
    )
    kpis: dict[KpiName, KpiValue] = Field(
        examples=[{"connection_rate": 0.972, "satisfaction_rate": 0.993, "tickets_total": 1843}],
        description="指标（比率为0-1小数）; indicator values, rates as fractions 0-1",
    )
    published_by: ActorId = Field(examples=["system:analytics"])
    at: AwareDatetime

    @model_validator(mode="after")
    def _consistent(self) -> ReportPublishedV1:
        if self.period == ReportPeriod.WEEKLY and self.period_start.weekday() != 0:
            raise ValueError("a weekly report starts on a Monday")
        if self.period == ReportPeriod.MONTHLY and self.period_start.day != 1:
            raise ValueError("a monthly report starts on the 1st")
        if len(set(self.rolled_up_from)) != len(self.rolled_up_from):
            raise ValueError("rolled_up_from must not repeat")
        for code in self.rolled_up_from:
            if code == self.unit_code or not is_within(code, self.unit_code):
                raise ValueError(f"{code} is not a unit below {self.unit_code}")
        return self
