"""The business catalogue (业务目录): one set of codes and names every service's tables are checked against."""

from __future__ import annotations

import pytest

from hotline_contracts.catalog import catalog
from hotline_contracts.events.common import BusinessType, ComplaintSubType, ReferralSource

pytestmark = pytest.mark.unit


def test_the_catalogue_lists_exactly_the_eight_national_business_types_of_the_contracts():
    assert set(catalog().business_types) == {t.value for t in BusinessType}
    assert catalog().business_types["service_request"].name_zh == "服务申请"


def test_complaint_sub_types_and_referral_sources_are_the_contract_enums():
    assert set(catalog().sub_types("complaint")) == {s.value for s in ComplaintSubType}
    assert set(catalog().referral_sources) == {r.value for r in ReferralSource}


def test_every_code_has_a_chinese_and_an_english_name_and_no_type_repeats_a_sub_type():
    for entry in catalog().business_types.values():
        codes = entry.sub_type_codes()
        assert len(codes) == len(set(codes)), entry.code
        for sub in (entry, *entry.sub_types):
            assert sub.name_zh and sub.name_en and sub.code.isascii()


def test_the_service_request_sub_types_carry_every_time_limit_of_the_rules():
    # docs/RULES.md: reconnection, damaged appliance, meter abnormal / reading anomaly / other,
    # calibration, meter-data anomaly and the four new-connection classes.
    assert set(catalog().sub_types("service_request")) == {
        "reconnection", "appliance_damage", "meter_abnormal", "meter_reading_anomaly", "meter_check", "meter_data_anomaly",
        "new_connection_residential", "new_connection_low_voltage", "new_connection_hv_single", "new_connection_hv_dual", "other",
    }


@pytest.mark.parametrize(("row", "locs"), [
    ({"business_type": "service_request", "sub_type": "appliance_damage"}, []),
    ({"business_type": "service_request", "sub_type": "damaged_appliance"}, ["rows.0.sub_type"]),
    ({"business_type": "complaint", "sub_type": "reconnection"}, ["rows.0.sub_type"]),
    ({"business_type": "repairs"}, ["rows.0.business_type"]),
    ({"sub_type": "meter_abnormal"}, []),  # no type: any catalogue sub-type
    ({"sub_type": "meter_broken"}, ["rows.0.sub_type"]),
    ({"business_type": "complaint", "referred_from": "12398"}, []),
    ({"business_type": "complaint", "referred_from": "110"}, ["rows.0.referred_from"]),
])
def test_a_row_with_a_code_outside_the_catalogue_is_refused_in_both_languages(row, locs):
    problems = catalog().check_row(row, "rows.0")
    assert [loc for loc, _, _ in problems] == locs
    for _, zh, en in problems:
        assert "业务目录" in zh or "转办来源" in zh
        assert "catalogue" in en or "referred_from" in en


def test_a_required_business_type_must_be_given():
    assert [p[0] for p in catalog().check_row({}, "rows.3", type_required=True)] == ["rows.3.business_type"]
