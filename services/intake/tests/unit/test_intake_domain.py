"""Pure domain rules: business-type validation, outage matching, order numbers, knowledge ranking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from intake.adapters.memory import default_rules
from intake.domain.catalog import Catalog, repeat_window_hours, validate_rows
from intake.domain.knowledge import Article, rank, tokens
from intake.domain.model import Contact
from intake.domain.numbers import order_day, ticket_number
from intake.domain.outages import area_keywords, match_outage
from intake_fixtures import IN_OUTAGE, NORMAL, NOW, ON_FEEDER, OUTAGE

pytestmark = pytest.mark.unit
CATALOG = Catalog(default_rules()["business_types"]["rows"])


def contact(business_type: str, **kw: object) -> Contact:
    return Contact(channel="hotline", business_type=business_type, summary=kw.pop("summary", "内容"), owner="agent:a", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("business_type", "fields", "missing"),
    [
        ("fault_repair", {}, {"body.location"}),
        ("fault_repair", {"address_text": "泉城路188号"}, set()),
        ("service_request", {}, {"body.sub_type", "body.account_no"}),
        ("service_request", {"sub_type": "meter_check", "account_no": "3701020001"}, set()),
        ("complaint", {"sub_type": "business"}, {"body.contact_phone"}),
        ("complaint", {"sub_type": "supply_quality", "contact_phone": "13805310001"}, set()),
        ("consultation", {}, set()),
        ("report", {}, set()),
        ("opinion", {}, set()),
        ("suggestion", {}, set()),
        ("praise", {}, set()),
    ],
)
def test_each_business_type_requires_its_fields(business_type: str, fields: dict, missing: set[str]) -> None:
    problems = CATALOG.check(contact(business_type, **fields))
    assert {p.loc for p in problems} == missing
    assert all(p.message_zh and p.message_en for p in problems)


def test_unknown_sub_type_is_refused_with_the_allowed_values() -> None:
    problems = CATALOG.check(contact("complaint", sub_type="rudeness", contact_phone="13805310001"))
    assert [p.loc for p in problems] == ["body.sub_type"] and "service_conduct" in problems[0].message_en


def test_a_tenant_without_a_type_configured_refuses_it() -> None:
    rows = [r for r in default_rules()["business_types"]["rows"] if r["business_type"] != "praise"]
    assert [p.loc for p in Catalog(rows).check(contact("praise"))] == ["body.business_type"]


def test_rule_table_validation_names_unknown_fields_and_repeats() -> None:
    problems = validate_rows([{"business_type": "praise", "required": ["shoe_size"]}, {"business_type": "praise"}])
    assert {p.loc for p in problems} == {"rows.0.required", "rows.1.business_type"}


def test_repeat_window_uses_type_row_then_default() -> None:
    rows = [{"business_type": "*", "window_hours": 24}, {"business_type": "complaint", "window_hours": 72}]
    assert repeat_window_hours(rows, "complaint") == 72 and repeat_window_hours(rows, "fault_repair") == 24


def test_outage_match_prefers_transformer_area_then_feeder_then_area_text() -> None:
    assert match_outage([OUTAGE], NOW, IN_OUTAGE, None).match_level == "transformer_area"
    assert match_outage([OUTAGE], NOW, ON_FEEDER, None).match_level == "feeder"
    assert match_outage([OUTAGE], NOW, NORMAL, None) is None
    by_text = match_outage([OUTAGE], NOW, None, "济南市历下区黑虎泉西路12号")
    assert by_text is not None and by_text.match_level == "area_text" and by_text.cause == OUTAGE.cause


def test_outage_not_yet_begun_does_not_absorb_calls() -> None:
    future = OUTAGE.__class__(**{**OUTAGE.__dict__, "planned_start": NOW + timedelta(hours=2), "started": False})
    assert match_outage([future], NOW, IN_OUTAGE, None) is None


def test_area_keywords_drop_direction_words() -> None:
    assert area_keywords("历下区泉城路以南、黑虎泉西路以东区域") == ["历下区泉城路", "黑虎泉西路"]


def test_order_numbers_are_readable_and_sort_by_china_day() -> None:
    late_utc = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # already 26 Nov in China
    assert order_day(late_utc) == "20261126"
    numbers = [ticket_number("370102", "20261126", n) for n in (9, 10, 123)]
    assert numbers == sorted(numbers) and numbers[-1] == "370102-20261126-000123"


def test_knowledge_search_segments_chinese_and_skips_expired_articles() -> None:
    tariff = Article("37", "KB-1", "居民阶梯电价计算方法", "阶梯电价按年度累计用电量分三档计费", "电价电费", 1, NOW - timedelta(days=30))
    old = Article("37", "KB-2", "阶梯电价旧规定", "旧的阶梯电价", "电价电费", 1, NOW - timedelta(days=900), NOW - timedelta(days=400))
    meter = Article("37", "KB-3", "电能表校验申请", "客户对电能表计量有异议可申请校验", "计量", 1, NOW - timedelta(days=30))
    assert "电价" in tokens("阶梯电价怎么算")
    hits = rank([tariff, old, meter], "阶梯电价怎么算", NOW)
    assert [a.article_id for a, _ in hits] == ["KB-1"]
