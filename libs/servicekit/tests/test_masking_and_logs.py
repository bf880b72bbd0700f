import json
import logging

import pytest

from servicekit import correlation
from servicekit.logs import JsonFormatter
from servicekit.masking import mask_address, mask_id_number, mask_phone, mask_text

pytestmark = pytest.mark.unit


def test_phone_keeps_only_prefix_and_last_four():
    assert mask_phone("13812345678") == "138****5678"


def test_id_number_keeps_region_and_last_four():
    assert mask_id_number("37010219800101123X") == "370102********123X"


def test_address_hides_the_house():
    masked = mask_address("济南市历下区泉城路100号3单元")
    assert masked.startswith("济南市历下区") and "泉城路" not in masked


def test_free_text_masks_mobile_and_id_card_but_not_account_numbers():
    text = "客户13812345678身份证37010219800101123X户号3701020001"
    masked = mask_text(text)
    assert "13812345678" not in masked and "138****5678" in masked
    assert "19800101" not in masked
    assert "3701020001" in masked


def test_log_line_is_json_with_correlation_id_and_masked_phone():
    formatter = JsonFormatter("intake")
    token = correlation.bind("cid-123")
    try:
        record = logging.LogRecord("intake", logging.INFO, __file__, 1, "caller %s", ("13912345678",), None)
        record.account = "phone 13912345678"
        line = json.loads(formatter.format(record))
    finally:
        correlation.reset(token)
    assert line["correlation_id"] == "cid-123"
    assert line["service"] == "intake"
    assert "13912345678" not in json.dumps(line, ensure_ascii=False)
    assert line["message"] == "caller 139****5678"
