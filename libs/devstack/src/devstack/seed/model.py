"""What the demo seed produces: the documents per tenant, their natural keys and indexes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from hotline_contracts.tenancy import OrgUnit

# Bump when the stored shape changes, so an existing database is reloaded.
SEED_FORMAT_VERSION = 1


@dataclass(frozen=True)
class CollectionSpec:
    """A seeded collection: the fields that identify a document and the indexes to create."""

    name: str
    key: tuple[str, ...]  # natural key, always starting with "tenant"
    unique: tuple[tuple[str, ...], ...] = ()
    plain: tuple[tuple[str, ...], ...] = ()


TOPOLOGY = (
    CollectionSpec("stations", ("tenant", "code"), unique=(("tenant", "code"),)),
    CollectionSpec("feeders", ("tenant", "code"), unique=(("tenant", "code"),)),
    CollectionSpec("transformer_areas", ("tenant", "code"), unique=(("tenant", "code"),)),
)
CUSTOMERS = CollectionSpec(
    "customers",
    ("tenant", "account_no"),
    unique=(("tenant", "account_no"),),
    plain=(("tenant", "phone"), ("tenant", "ta_code"), ("tenant", "feeder_code"), ("tenant", "station_code")),
)
CREWS = CollectionSpec("crews", ("tenant", "code"), unique=(("tenant", "code"),))
ROSTERS = CollectionSpec(
    "crew_rosters", ("tenant", "crew_code", "date", "shift"), unique=(("tenant", "crew_code", "date", "shift"),)
)
USERS = CollectionSpec("users", ("tenant", "user_id"), unique=(("tenant", "user_id"),))

# Load order; progress is reported under these step names.
STEPS: tuple[tuple[str, tuple[CollectionSpec, ...]], ...] = (
    ("topology", TOPOLOGY),
    ("customers", (CUSTOMERS,)),
    ("crews", (CREWS,)),
    ("rosters", (ROSTERS,)),
    ("users", (USERS,)),
)
SPECS: dict[str, CollectionSpec] = {s.name: s for _, specs in STEPS for s in specs}
ORG_UNITS = CollectionSpec("org_units", ("code",), unique=(("code",),))


@dataclass(frozen=True)
class DemoProvince:
    """The generated demo province: org units plus, per tenant, its documents per collection.

    Documents are plain dicts ready to store (no `_id`); treat them as read-only.
    """

    province: str
    seed: int
    start_date: date
    org_units: list[OrgUnit]
    tenants: dict[str, dict[str, list[dict[str, Any]]]]  # tenant -> collection -> documents

    def org_unit_docs(self) -> list[dict[str, Any]]:
        """`{prefix}_platform.org_units` documents: {code, name, level, parent_code}."""
        return [u.model_dump(mode="json") for u in self.org_units]

    def docs(self, tenant: str, collection: str) -> list[dict[str, Any]]:
        return self.tenants.get(tenant, {}).get(collection, [])

    def all_docs(self, collection: str) -> list[dict[str, Any]]:
        return [d for t in self.tenants for d in self.docs(t, collection)]

    @property
    def customers(self) -> list[dict[str, Any]]:
        return self.all_docs("customers")

    def counts(self) -> dict[str, dict[str, int]]:
        """Documents per collection per tenant ("platform" holds the org units)."""
        out = {"platform": {"org_units": len(self.org_units)}}
        for tenant, colls in self.tenants.items():
            out[tenant] = {name: len(docs) for name, docs in colls.items()}
        return out

    def content_hash(self) -> str:
        """SHA-256 over every document, in a canonical JSON form."""
        digest = hashlib.sha256(f"v{SEED_FORMAT_VERSION}".encode())
        digest.update(_canonical(self.org_unit_docs()))
        for tenant in sorted(self.tenants):
            for name in sorted(self.tenants[tenant]):
                digest.update(f"|{tenant}|{name}|".encode())
                digest.update(_canonical(self.tenants[tenant][name]))
        return digest.hexdigest()


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=_json_default).encode()


def _json_default(value: object) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"not serialisable: {type(value).__name__}")


@dataclass
class SeedSummary:
    """What a load did: document counts per collection per tenant, and whether it was skipped."""

    counts: dict[str, dict[str, int]]
    content_hash: str
    skipped: bool
    seconds: float
    written: dict[str, int] = field(default_factory=dict)  # collection -> documents inserted/replaced
    deleted: dict[str, int] = field(default_factory=dict)  # collection -> documents pruned

    def total(self, collection: str) -> int:
        return sum(c.get(collection, 0) for c in self.counts.values())

    def __str__(self) -> str:
        state = "已是最新 up to date" if self.skipped else "已加载 loaded"
        names = ("customers", "transformer_areas", "feeders", "stations", "crews", "crew_rosters", "users", "org_units")
        counts = ", ".join(f"{self.total(n):,} {n}" for n in names)
        return f"{state} in {self.seconds:.1f} s ({counts}; hash {self.content_hash[:12]})"
