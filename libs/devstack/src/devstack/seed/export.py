"""Customers as CSV, the file the intake service's customer import takes."""

from __future__ import annotations

import csv
import io

from devstack.seed.model import DemoProvince

CSV_COLUMNS = (
    "account_no",
    "name",
    "phone",
    "address",
    "station_code",
    "feeder_code",
    "ta_code",
    "area_class",
    "important",
    "dedicated_transformer",
    "arrears_status",
    "preferred_channel",
    "channels",
)


def customers_csv(data: DemoProvince, tenant: str) -> str:
    """UTF-8 CSV (header row, RFC 4180 quoting) of the customers of `tenant` and the units below it.

    Booleans are `true`/`false`; `channels` is `;`-separated (`sms;wechat`). Personal data is
    whole, not masked: this file is import input, not an export for people to read.
    """
    if not any(u.code == tenant for u in data.org_units):
        raise ValueError(f"tenant {tenant!r} is not in the demo province")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for code in data.tenants:
        if not code.startswith(tenant):  # the tenant itself or a unit below it
            continue
        for c in data.docs(code, "customers"):
            writer.writerow([_cell(c[col]) for col in CSV_COLUMNS])
    return out.getvalue()


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    return str(value)
