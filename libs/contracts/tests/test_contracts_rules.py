"""Business rules the payloads enforce (privacy, org tree, time order, audit reasons)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from contracts_testkit import EXAMPLES_DIR, load_json
from hotline_contracts.registry import spec_for_topic

pytestmark = pytest.mark.unit


def _example_data(topic: str) -> dict[str, Any]:
    return load_json(EXAMPLES_DIR / topic / "example-1.json")["data"]


def _model(topic: str):
    return spec_for_topic(topic).model


def _refused(topic: str, **changes: Any) -> None:
    with pytest.raises(ValidationError):
        _model(topic).model_validate({**_example_data(topic), **changes})


RAW_RECIPIENTS = ["13805310001", "0531-88886666", "zhangsan@example.com", "1*3805310001"]


@pytest.mark.parametrize("recipient", RAW_RECIPIENTS)
def test_notification_result_never_carries_a_raw_number(recipient: str) -> None:
    _refused("notification.sent.v1", recipient_masked=recipient)


@pytest.mark.parametrize("recipient", ["138****0001", "0531-****6666", "z***@163.com"])
def test_masked_recipients_are_accepted(recipient: str) -> None:
    data = {**_example_data("notification.sent.v1"), "recipient_masked": recipient}
    assert _model("notification.sent.v1").model_validate(data).recipient_masked == recipient


def test_notification_params_may_not_smuggle_a_phone_number() -> None:
    params = {"contact": "请联系抢修班长13905310002"}
    _refused("notification.requested.v1", params=params)


def test_failed_notification_says_why() -> None:
    _refused("notification.sent.v1", result="failed", detail=None)


def test_supervision_comes_from_above_the_target() -> None:
    _refused("supervision.raised.v1", raised_at_unit="370102", target_unit="370102")
    _refused("supervision.raised.v1", raised_at_unit="3702", target_unit="370102")
    _refused("supervision.raised.v1", raised_at_unit="370102", target_unit="3701")


def test_report_rolls_up_only_units_below_it_and_aligns_its_period() -> None:
    _refused("report.published.v1", rolled_up_from=["370102", "370202"])
    _refused("report.published.v1", period_start=date(2026, 10, 2).isoformat())
    _refused("report.published.v1", period="weekly", period_start="2026-11-25")
    weekly = {**_example_data("report.published.v1"), "period": "weekly"}
    weekly["period_start"] = "2026-11-23"
    assert _model("report.published.v1").model_validate(weekly).period == "weekly"


def test_failed_audit_needs_a_reason() -> None:
    _refused("reply.audited.v1", passed=False, reasons=[])
    ok = {**_example_data("reply.audited.v1"), "passed": False, "reasons": ["未填写故障五级分类"]}
    assert _model("reply.audited.v1").model_validate(ok).passed is False


def test_repair_times_run_forward_and_levels_have_no_gaps() -> None:
    _refused("repair.completed.v1", arrived_at="2026-11-26T09:30:00+08:00")
    _refused("repair.completed.v1", restored_at="2026-11-26T10:00:00+08:00")
    _refused("repair.completed.v1", restored_at=None)
    _refused("repair.completed.v1", fault_class={"level1": "低压故障", "level3": "接户线故障"})


def test_outage_plan_and_update_are_consistent() -> None:
    _refused("outage.published.v1", planned_end="2026-11-28T07:00:00+08:00")
    _refused("outage.reported.v1", scope={"station_codes": [], "feeder_codes": [], "ta_codes": []})
    _refused("outage.reported.v1", outage_type="blackout")
    _refused("outage.updated.v1", changed_fields=["planned_start"])
    _refused("outage.updated.v1", version=1)


def test_customer_preferred_channel_is_one_of_its_channels() -> None:
    _refused("customer.upserted.v1", preferred_channel="email")
    _refused("customer.upserted.v1", account_no="37010204")
    _refused("customer.upserted.v1", area_class="suburban")


def test_transitions_and_handover_need_two_different_sides() -> None:
    _refused("ticket.state_changed.v1", to_state="accepted")
    _refused("ticket.transferred.v1", to_unit="370102")
    same_person = {"leaving": "agent:a", "arriving": "agent:a"}
    _refused("shift_handover.published.v1", confirmed_by=same_person)
    ids = ["370102-20261124-000056", "370102-20261124-000056"]
    _refused("shift_handover.published.v1", open_ticket_ids=ids)


def test_automatic_urge_names_its_warning_level() -> None:
    _refused("ticket.urged.v1", mode="automatic", warning_level=None)
    _refused("timelimit.warning_raised.v1", level=5)
    _refused("timelimit.breached.v1", at="2026-11-28T16:00:00+08:00")
