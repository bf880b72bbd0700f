"""Shared builders of the outage-notice integration tests: a small grid of customers and a report body."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pymongo import AsyncMongoClient

TENANT = "370102"


def grid() -> dict[str, list[dict]]:
    """Station S1 has feeders F1 (areas A1, A2) and F2 (A3); station S2 has F3 (A4). Two customers per area."""
    areas = [("A1", "F1", "S1"), ("A2", "F1", "S1"), ("A3", "F2", "S1"), ("A4", "F3", "S2")]
    customers = []
    for i, (ta, feeder, station) in enumerate(areas):
        for j in range(2):
            n = i * 2 + j + 1
            customers.append({
                "tenant": TENANT, "account_no": f"37010200{n:02d}", "name": f"客户{n}", "phone": f"139000000{n:02d}",
                "address": f"历下区泉城路{n}号", "station_code": station, "feeder_code": feeder, "ta_code": ta,
                "area_class": "urban", "important": n == 1, "dedicated_transformer": False, "arrears_status": "none",
                "preferred_channel": "sms", "channels": ["sms", "wechat"] if n == 1 else ["sms"], "updated_at": datetime.now(UTC),
            })
    return {
        "stations": [{"tenant": TENANT, "code": s, "name": s} for s in ("S1", "S2")],
        "feeders": [{"tenant": TENANT, "code": f, "name": f, "station_code": s} for f, s in (("F1", "S1"), ("F2", "S1"), ("F3", "S2"))],
        "transformer_areas": [{"tenant": TENANT, "code": ta, "name": ta, "feeder_code": f, "station_code": s, "area_class": "urban"} for ta, f, s in areas],
        "customers": customers,
    }


async def seed_grid(mongo_uri: str, prefix: str) -> None:
    """The grid into the tenant's database `{prefix}_370102`."""
    client = AsyncMongoClient(mongo_uri, tz_aware=True)
    try:
        for name, docs in grid().items():
            await client[f"{prefix}_{TENANT}"][name].insert_many(docs)
    finally:
        await client.close()


def report(outage_id: str, scope: dict, start_in: timedelta) -> dict:
    start = datetime.now(UTC) + start_in
    return {"outage_id": outage_id, "outage_type": "grid_fault", "scope": scope, "cause": "10kV线路故障",
            "planned_start": start.isoformat(), "planned_end": (start + timedelta(hours=3)).isoformat()}
