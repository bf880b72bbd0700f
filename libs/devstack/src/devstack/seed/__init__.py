"""Demo province seed (演示省份数据): Shandong (tenant 37), generated deterministically and loaded idempotently.

    data = build_demo_province(customers=12_000, start_date=date(2026, 12, 1), seed=95598)
    summary = await load_demo_province(client, data, db_prefix="hotline", progress=print_step)
"""

from devstack.seed.build import build_demo_province
from devstack.seed.export import customers_csv
from devstack.seed.load import load_demo_province
from devstack.seed.model import DemoProvince, SeedSummary

__all__ = ["DemoProvince", "SeedSummary", "build_demo_province", "customers_csv", "load_demo_province"]
