"""Shared test data: the shipped rule tables, a fixed now and a small grid of customers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import outage_notice

DEFAULTS = json.loads((Path(outage_notice.__file__).parent / "rules_default.json").read_text(encoding="utf-8"))
TENANT = "370102"
# 2026-11-20 10:00 Asia/Shanghai
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def customer(account: str, ta: str, feeder: str, station: str, **extra) -> dict:
    doc = {
        "tenant": TENANT, "account_no": account, "phone": f"1380000{account[-4:]}", "station_code": station,
        "feeder_code": feeder, "ta_code": ta, "preferred_channel": "sms", "channels": ["sms"],
        "important": False, "dedicated_transformer": False,
    }
    return doc | extra


CUSTOMERS = [
    customer("3701020001", "TA-1", "F-1", "S-1"),
    customer("3701020002", "TA-1", "F-1", "S-1", preferred_channel="wechat", channels=["sms", "wechat"]),
    customer("3701020003", "TA-2", "F-1", "S-1", important=True, dedicated_transformer=True,
             preferred_channel="sms", channels=["sms", "wechat", "voice"]),
    customer("3701020004", "TA-3", "F-2", "S-1"),
    customer("3701020005", "TA-4", "F-3", "S-2"),
]


