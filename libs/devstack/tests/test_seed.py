"""The demo province generator: deterministic, big enough, and internally consistent."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import UTC, date, datetime

import pytest

from devstack.seed import build_demo_province, customers_csv
from devstack.seed.model import SPECS

pytestmark = pytest.mark.unit

START = date(2026, 12, 1)
COUNTIES = ("370102", "370124", "370202", "370281", "370602", "370681")
URBAN_DISTRICTS = ("370102", "370202", "370602")


@pytest.fixture(scope="module")
def data():
    return build_demo_province(customers=12_000, start_date=START, seed=95598)


def test_same_arguments_give_the_same_documents(data):
    again = build_demo_province(customers=12_000, start_date=START, seed=95598)
    assert again.content_hash() == data.content_hash()
    assert again.customers[:50] == data.customers[:50]
    assert build_demo_province(customers=12_000, start_date=START, seed=1).content_hash() != data.content_hash()


def test_fewer_customers_leave_the_grid_and_crews_as_they_were(data):
    small = build_demo_province(customers=2_000, start_date=START, seed=95598)
    for collection in ("stations", "feeders", "transformer_areas", "crews", "users"):
        assert small.all_docs(collection) == data.all_docs(collection)
    assert len(small.customers) == 2_000


def test_a_new_roster_start_date_changes_only_the_rosters(data):
    later = build_demo_province(customers=12_000, start_date=date(2027, 3, 1), seed=95598)
    for collection in ("stations", "feeders", "transformer_areas", "customers", "crews", "users"):
        assert later.all_docs(collection) == data.all_docs(collection)
    assert later.all_docs("crew_rosters")[0]["date"] == "2027-03-01"


def test_a_dates_duty_does_not_depend_on_the_roster_start(data):
    next_day = build_demo_province(customers=0, start_date=date(2026, 12, 2), seed=95598)
    shared = [r for r in data.all_docs("crew_rosters") if r["date"] != "2026-12-01"]
    assert shared == [r for r in next_day.all_docs("crew_rosters") if r["date"] != "2026-12-15"]


def test_org_units_alone_need_no_customers():
    empty = build_demo_province(customers=0, start_date=START)
    assert [u.code for u in empty.org_units][:4] == ["37", "3701", "3702", "3706"] and not empty.customers
    assert len(empty.all_docs("transformer_areas")) >= 1_000


def test_province_has_three_cities_six_counties_and_enough_grid(data):
    units = {u["code"]: u for u in data.org_unit_docs()}
    assert units["37"] == {"code": "37", "name": "国网山东省电力公司", "level": "province", "parent_code": None}
    assert sorted(c for c, u in units.items() if u["level"] == "city") == ["3701", "3702", "3706"]
    assert sorted(c for c, u in units.items() if u["level"] == "county") == sorted(COUNTIES)
    assert units["3701"]["name"] == "国网济南供电公司" and units["370124"]["name"] == "国网平阴县供电公司"
    assert all(u["parent_code"] == u["code"][:-2] for u in units.values() if u["level"] != "province")
    assert len(data.customers) == 12_000
    assert {c["tenant"] for c in data.customers} == set(COUNTIES)
    assert len(data.all_docs("transformer_areas")) >= 1_000
    for county in COUNTIES:
        stations = data.docs(county, "stations")
        assert 3 <= len(stations) <= 5
        per_station = Counter(f["station_code"] for f in data.docs(county, "feeders"))
        assert all(3 <= per_station[s["code"]] <= 6 for s in stations)
        assert all(f["name"].startswith("10kV") for f in data.docs(county, "feeders"))


def test_every_document_belongs_to_its_tenant(data):
    for tenant, collections in data.tenants.items():
        for name, docs in collections.items():
            assert all(d["tenant"] == tenant for d in docs), (tenant, name)
            keys = [tuple(d[f] for f in SPECS[name].key) for d in docs]
            assert len(keys) == len(set(keys)), (tenant, name)


def test_each_customer_hangs_off_its_own_feeder_and_station(data):
    for county in COUNTIES:
        feeders = {f["code"]: f for f in data.docs(county, "feeders")}
        areas = {a["code"]: a for a in data.docs(county, "transformer_areas")}
        stations = {s["code"] for s in data.docs(county, "stations")}
        assert all(f["station_code"] in stations for f in feeders.values())
        for a in areas.values():
            assert feeders[a["feeder_code"]]["station_code"] == a["station_code"]
        for c in data.docs(county, "customers"):
            area = areas[c["ta_code"]]
            assert (area["feeder_code"], area["station_code"]) == (c["feeder_code"], c["station_code"])
            assert c["area_class"] == area["area_class"]
            assert c["address"].startswith(("济南市", "青岛市", "烟台市", "平阴县", "胶州市", "龙口市"))


def test_account_numbers_and_phones_are_well_formed_and_unique(data):
    accounts = [c["account_no"] for c in data.customers]
    assert all(re.fullmatch(r"\d{10}", a) for a in accounts)
    assert len(set(accounts)) == len(accounts)
    staff_phones = [u["phone"] for t in data.tenants for u in data.docs(t, "users")]
    phones = [c["phone"] for c in data.customers] + staff_phones
    assert all(re.fullmatch(r"1[3-9]\d{9}", p) for p in phones)
    assert len(set(phones)) == len(phones)


def test_important_dedicated_and_arrears_customers_exist_in_realistic_shares(data):
    n = len(data.customers)
    important = [c for c in data.customers if c["important"]]
    dedicated = [c for c in data.customers if c["dedicated_transformer"]]
    assert len(important) == round(n * 0.01) and len(dedicated) == round(n * 0.03)
    institution = re.compile(r"(医院|院|学|学校|政府|分局|派出所|公司|站|厂|机房|中心|室|委员会|幼儿园|办事处)$")
    assert all(institution.search(c["name"]) for c in important)
    assert Counter(c["arrears_status"] for c in data.customers) == {
        "none": n - round(n * 0.02) - round(n * 0.005),
        "overdue": round(n * 0.02),
        "disconnected": round(n * 0.005),
    }
    assert not any(c["important"] and c["arrears_status"] == "disconnected" for c in data.customers)


def test_districts_are_mostly_urban_and_counties_mostly_rural(data):
    for county in COUNTIES:
        classes = Counter(c["area_class"] for c in data.docs(county, "customers"))
        urban_share = classes["urban"] / sum(classes.values())
        assert urban_share > 0.7 if county in URBAN_DISTRICTS else urban_share < 0.5, county
    remote = [c for c in data.customers if c["area_class"] == "remote"]
    assert 0 < len(remote) < 0.05 * len(data.customers)


def test_customers_can_be_reached_on_their_preferred_channel(data):
    assert {c["preferred_channel"] for c in data.customers} == {"sms", "wechat", "app", "voice"}
    assert all(c["preferred_channel"] in c["channels"] for c in data.customers)


def test_rosters_cover_both_shifts_of_every_station_for_fourteen_days(data):
    for county in COUNTIES:
        crews = {c["code"]: c for c in data.docs(county, "crews")}
        rosters = data.docs(county, "crew_rosters")
        stations = {s["code"] for s in data.docs(county, "stations")}
        assert {c["station_code"] for c in crews.values()} == stations
        slots = Counter((r["station_code"], r["date"], r["shift"]) for r in rosters)
        assert len(slots) == len(stations) * 14 * 2 and set(slots.values()) == {1}
        assert all(crews[r["crew_code"]]["station_code"] == r["station_code"] for r in rosters)


def test_shifts_are_eight_to_eight_shanghai_time_stored_in_utc(data):
    rosters = data.docs("370102", "crew_rosters")
    day = next(r for r in rosters if r["date"] == "2026-12-01" and r["shift"] == "day")
    night = next(r for r in rosters if r["date"] == "2026-12-01" and r["shift"] == "night")
    assert (day["starts_at"], day["ends_at"]) == (
        datetime(2026, 12, 1, 0, tzinfo=UTC),
        datetime(2026, 12, 1, 12, tzinfo=UTC),
    )
    assert (night["starts_at"], night["ends_at"]) == (
        datetime(2026, 12, 1, 12, tzinfo=UTC),
        datetime(2026, 12, 2, 0, tzinfo=UTC),
    )
    assert {r["date"] for r in rosters} == {f"2026-12-{d:02d}" for d in range(1, 15)}


def test_two_crew_stations_rotate_between_day_and_night(data):
    crews = [c for t in COUNTIES for c in data.docs(t, "crews")]
    two_crew = [s for s, n in Counter(c["station_code"] for c in crews).items() if n == 2]
    assert two_crew, "some station must have two crews"
    county = two_crew[0][:6]
    on_day = {
        r["date"]: r["crew_code"]
        for r in data.docs(county, "crew_rosters")
        if r["station_code"] == two_crew[0] and r["shift"] == "day"
    }
    assert len(set(on_day.values())) == 2


def test_staff_of_the_centre_units_and_crews(data):
    centre = Counter(role for u in data.docs("37", "users") for role in u["roles"])
    assert centre == {
        "agent": 20,
        "shift_leader": 4,
        "centre_director": 1,
        "system_maintainer": 1,
        "supervision_centre": 1,
    }
    for tenant in ("3701", "3702", "3706", *COUNTIES):
        users = data.docs(tenant, "users")
        assert any(u["roles"] == ["unit_staff"] for u in users)
        assert all(re.fullmatch(rf"u-{tenant}-\d{{4}}", u["user_id"]) and u["org_unit"] == tenant for u in users)
    for county in COUNTIES:
        users = {u["user_id"]: u for u in data.docs(county, "users")}
        for crew in data.docs(county, "crews"):
            assert crew["name"].endswith("班") and crew["members"]
            for m in crew["members"]:
                assert users[m["user_id"]]["roles"] == ["field_crew"]
                assert users[m["user_id"]]["crew_code"] == crew["code"]


def test_customers_csv_round_trips(data):
    text = customers_csv(data, "370124")
    rows = list(csv.DictReader(io.StringIO(text)))
    customers = data.docs("370124", "customers")
    assert len(rows) == len(customers)
    first, row = customers[0], rows[0]
    assert row["account_no"] == first["account_no"] and row["name"] == first["name"]
    assert row["important"] in ("true", "false") and row["channels"].split(";") == first["channels"]
    assert len(list(csv.DictReader(io.StringIO(customers_csv(data, "3701"))))) == len(
        data.docs("370102", "customers")
    ) + len(customers)
    with pytest.raises(ValueError):
        customers_csv(data, "3799")
