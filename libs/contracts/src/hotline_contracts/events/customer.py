"""Customer (客户档案) master-data events, published by other systems such as marketing (营销系统)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, Field, model_validator

from hotline_contracts.envelope import EventData
from hotline_contracts.events.common import (
    AccountNo,
    AreaClass,
    ArrearsStatus,
    GridCode,
    NotifyChannel,
    ShortText,
    UnitCode,
)


class CustomerUpsertedV1(EventData):
    """客户档案变更: a customer's master record was created or changed in the source system.

    Carries the whole record (not a diff), so the latest event per `account_no` wins.
    `phone` and `address` are personal data: consumers store them, and mask them in logs,
    lists and exports.
    """

    event_name: ClassVar[str] = "customer.upserted"
    event_version: ClassVar[int] = 1

    account_no: AccountNo
    name: ShortText = Field(examples=["王建国"])
    phone: str | None = Field(
        default=None,
        pattern=r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$",
        examples=["13805310001"],
        description="联系电话（个人信息，日志须脱敏）; contact phone, personal data",
    )
    address: ShortText = Field(examples=["济南市历下区泉城路188号3单元502室"])
    unit_code: UnitCode = Field(description="所属供电公司; the company serving this customer")
    station_code: GridCode = Field(examples=["GDS-370102-03"], description="供电所; supply station")
    feeder_code: GridCode | None = Field(
        default=None, examples=["10kV-LX-112"], description="馈线（线路）; medium-voltage feeder"
    )
    ta_code: GridCode | None = Field(
        default=None, examples=["TA-370102-0457"], description="台区; transformer area"
    )
    area_class: AreaClass = Field(description="城市/农村/偏远; sets the on-site time limit")
    important: bool = Field(default=False, description="重要用户; hospitals, government, key industry")
    dedicated_transformer: bool = Field(default=False, description="专变用户; own transformer")
    arrears_status: ArrearsStatus = ArrearsStatus.NONE
    preferred_channel: NotifyChannel | None = Field(
        default=None, description="首选通知渠道, one of `channels`; preferred outbound channel"
    )
    channels: list[NotifyChannel] = Field(
        default_factory=list, description="可用通知渠道; channels the customer can be reached on"
    )
    source_system: ShortText = Field(default="marketing", examples=["marketing"])
    updated_at: AwareDatetime = Field(description="源系统中的变更时间; change time in the source system")

    @model_validator(mode="after")
    def _preferred_is_offered(self) -> CustomerUpsertedV1:
        if self.preferred_channel is not None and self.preferred_channel not in self.channels:
            raise ValueError("preferred_channel must be one of channels")
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("channels must not repeat")
        return self
