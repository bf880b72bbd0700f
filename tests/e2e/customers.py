"""Seeded customers for the e2e tests: each handed out once per session, never one inside an active outage.

Every e2e module shares one stack. Since a repeat call joins the customer's open order however old it is,
a customer whom an earlier test left with an open order would make a later test's call a repeat contact;
and a customer on a feeder or station under an outage (the demo outage `./dev up` publishes, or a test's)
would wait on that outage instead of being dispatched. So tests take their customers from here.
Reading the seeded customers is test data only: orders still go through the APIs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo import MongoClient

TENANT = "370102"
_HANDED_OUT: set[tuple[str, str]] = set()  # (tenant, account_no) given to some test this session
_OUTAGE_OVER = ("restored", "cancelled", "ended", "closed")


def _client(stack: Any) -> MongoClient[dict[str, Any]]:
    uri = f"mongodb://127.0.0.1:{27017 + stack.offset}/?retryWrites=false&directConnection=true"
    return MongoClient(uri, serverSelectionTimeoutMS=5000)


def outage_scope(stack: Any, tenant: str = TENANT) -> dict[str, set[str]]:
    """What a test must keep clear of: the feeders, stations and transformer areas of the tenant's outages that
    are not over, and (`account_no`) the customers with an open order, e.g. from the demo `./dev up` plays."""
    scope: dict[str, set[str]] = {"feeder_code": set(), "station_code": set(), "ta_code": set(), "account_no": set()}
    with _client(stack) as client:
        db = client[f"hotline_{tenant}"]
        for outage in db["active_outages"].find({"state": {"$nin": list(_OUTAGE_OVER)}}):
            scope["feeder_code"].update(outage.get("feeder_codes") or [])
            scope["station_code"].update(outage.get("station_codes") or [])
            scope["ta_code"].update(outage.get("ta_codes") or [])
        scope["account_no"].update(a for a in db["tickets"].distinct("account_no", {"state": {"$ne": "closed"}}) if a)
    return scope


def _inside(customer: dict[str, Any], scope: dict[str, set[str]]) -> bool:
    return any(str(customer.get(field)) in codes for field, codes in scope.items())


def take(tenant: str, customers: Iterable[dict[str, Any]], n: int, scope: dict[str, set[str]] | None = None) -> list[dict[str, Any]]:
    """Up to `n` of `customers` that no test has had yet and (given a scope) outside it; they are handed out."""
    out: list[dict[str, Any]] = []
    for customer in customers:
        key = (tenant, str(customer["account_no"]))
        if key in _HANDED_OUT or (scope is not None and _inside(customer, scope)):
            continue
        _HANDED_OUT.add(key)
        out.append(customer)
        if len(out) == n:
            break
    return out


def fresh_customers(stack: Any, n: int, *, tenant: str = TENANT, limit: int = 5000, **query: Any) -> list[dict[str, Any]]:
    """`n` seeded customers of `tenant` matching `query` (no arrears), new to this session and outside every outage."""
    scope = outage_scope(stack, tenant)
    with _client(stack) as client:
        rows = client[f"hotline_{tenant}"]["customers"].find({"tenant": tenant, "arrears_status": "none", **query}, {"_id": 0})
        return take(tenant, rows.limit(limit), n, scope)


def handed_out(tenant: str, account_no: str) -> bool:
    return (tenant, account_no) in _HANDED_OUT
