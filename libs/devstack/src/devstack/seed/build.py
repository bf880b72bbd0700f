"""Generate the demo province (山东, tenant 37): a pure function of its arguments."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from typing import Any

from devstack.seed.customers import build_customers
from devstack.seed.geography import CITIES, COUNTIES, PROVINCE_CODE, org_units, tenant_codes
from devstack.seed.model import DemoProvince
from devstack.seed.names import PhoneBook
from devstack.seed.staff import UserIds, build_crews, build_rosters, centre_users, unit_users
from devstack.seed.topology import build_topology

DEFAULT_CUSTOMERS = 12_000
DEFAULT_SEED = 95598
DEFAULT_START_DATE = date(2026, 12, 1)
# When the customer records were last "updated": fixed, so a new roster start date (the
# launcher passes today) rewrites only the rosters, not every customer.
CUSTOMERS_AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
MIN_TRANSFORMER_AREAS = 1_000


def build_demo_province(
    customers: int = DEFAULT_CUSTOMERS,
    start_date: date = DEFAULT_START_DATE,
    seed: int = DEFAULT_SEED,
    *,
    min_transformer_areas: int = MIN_TRANSFORMER_AREAS,
) -> DemoProvince:
    """The whole demo province. Same arguments, same documents, on any machine.

    Topology, customers and staff draw from separate random streams, so changing the number
    of customers leaves stations, feeders, crews and users as they were, and changing the
    roster start date changes only the rosters.
    """
    if customers < 0:
        raise ValueError("customers must not be negative")
    topology = build_topology(random.Random(f"{seed}:topology"), min_transformer_areas)
    tenants: dict[str, dict[str, list[dict[str, Any]]]] = {code: {} for code in tenant_codes()}

    areas = [a for code in COUNTIES for a in topology[code].areas]
    customer_phones = PhoneBook(random.Random(f"{seed}:phones"))
    all_customers = build_customers(
        random.Random(f"{seed}:customers"), areas, customers, customer_phones, CUSTOMERS_AS_OF
    )

    staff_rng = random.Random(f"{seed}:staff")
    staff_phones = PhoneBook(random.Random(f"{seed}:staff-phones"), taken=customer_phones.used)
    ids = UserIds()
    tenants[PROVINCE_CODE]["users"] = centre_users(staff_rng, ids, staff_phones)
    for code in CITIES:
        tenants[code]["users"] = unit_users(staff_rng, ids, staff_phones, code)
    for code in COUNTIES:
        topo = topology[code]
        staff = unit_users(staff_rng, ids, staff_phones, code)
        crews, crew_users = build_crews(staff_rng, ids, staff_phones, topo.stations)
        tenants[code] = {
            "stations": topo.stations,
            "feeders": topo.feeders,
            "transformer_areas": [a.doc for a in topo.areas],
            "customers": [c for c in all_customers if c["tenant"] == code],
            "crews": crews,
            "crew_rosters": build_rosters(crews, start_date),
            "users": staff + crew_users,
        }
    return DemoProvince(
        province=PROVINCE_CODE,
        seed=seed,
        start_date=start_date,
        org_units=org_units(),
        tenants=tenants,
    )
