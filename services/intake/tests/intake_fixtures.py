"""Shared intake test data: demo customers, one active outage, a settable clock (imported by tests and conftest)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from intake.domain.model import ActiveOutage, Customer

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in China


def customer(account_no: str, **changes: object) -> Customer:
    base = dict(tenant="370102", account_no=account_no, name="王建国", phone="13805310001", address="济南市历下区泉城路188号3单元502室",
                station_code="GDS-370102-03", feeder_code="10kV-QC-112", ta_code="TA-370102-0457", area_class="urban")
    base.update(changes)
    return Customer(**base)  # type: ignore[arg-type]


NORMAL = customer("3701020001")
CUT_OFF = customer("3701020002", phone="13805310002", arrears_status="disconnected")
IN_OUTAGE = customer("3701020003", phone="13805310003", ta_code="TA-370102-0999", feeder_code="10kV-QC-200")
ON_FEEDER = customer("3701020004", phone="13805310004", ta_code="TA-370102-0500", feeder_code="10kV-QC-300")

OUTAGE = ActiveOutage(tenant="370102", outage_id="TD-370102-20261126-0001", cause="10kV泉城路线路故障抢修",
                      planned_start=NOW - timedelta(hours=1), planned_end=NOW + timedelta(hours=3),
                      ta_codes=("TA-370102-0999",), feeder_codes=("10kV-QC-300",), area="历下区黑虎泉西路以东区域", started=True)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
