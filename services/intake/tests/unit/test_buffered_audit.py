"""Buffered audit records (审计): written as bounded buckets, none lost or stored twice when the database fails."""

from __future__ import annotations

import pytest
from pymongo.errors import DuplicateKeyError

from intake.adapters.audit import BufferedAudit

pytestmark = pytest.mark.unit


class Collection:
    """Stores buckets by `_id` like a real collection: a second insert of the same `_id` is a duplicate key."""

    def __init__(self, db: Databases) -> None:
        self.db = db

    async def insert_one(self, bucket: dict) -> None:
        self.db.calls += 1
        if bucket["_id"] in self.db.buckets:
            raise DuplicateKeyError("E11000 duplicate key error collection: audit_log index: _id_")
        if self.db.fail_on_call == self.db.calls == self.db.answer_lost_on_call:
            self.db.buckets[bucket["_id"]] = bucket  # stored, then the connection dropped before the answer
        if self.db.fail_on_call == self.db.calls:
            raise ConnectionError("database away")
        self.db.buckets[bucket["_id"]] = bucket


class Databases:
    def __init__(self) -> None:
        self.buckets: dict = {}
        self.calls = 0
        self.fail_on_call = 0  # the n-th insert raises ConnectionError
        self.answer_lost_on_call = 0  # ... after storing the bucket

    def for_tenant(self, tenant: str) -> dict[str, Collection]:
        return {"audit_log": Collection(self)}

    def stored_targets(self) -> list[str]:
        return [entry["target"] for bucket in self.buckets.values() for entry in bucket["entries"]]


def audit_with(db: Databases, records: dict[str, int]) -> BufferedAudit:
    audit = BufferedAudit(db, "intake", chunk=64)  # type: ignore[arg-type]
    for tenant, count in records.items():
        for i in range(count):
            audit.record(tenant, actor=None, action="ticket.create", target=f"{tenant}-{i}", result="ok")
    return audit


async def test_a_flush_writes_one_bucket_per_tenant_of_at_most_the_chunk_in_order() -> None:
    db = Databases()
    await audit_with(db, {"370102": 150, "370124": 3}).flush()
    buckets = list(db.buckets.values())
    assert [(b["tenant"], len(b["entries"])) for b in buckets] == [("370102", 64), ("370102", 64), ("370102", 22), ("370124", 3)]
    assert db.stored_targets() == [f"370102-{i}" for i in range(150)] + [f"370124-{i}" for i in range(3)]
    first = buckets[0]
    assert first["at"] == first["entries"][0]["at"] and first["until"] == first["entries"][-1]["at"]


async def test_a_database_failure_keeps_every_bucket_not_yet_stored_for_the_next_flush() -> None:
    db = Databases()
    audit = audit_with(db, {"370102": 100, "370124": 10})
    db.fail_on_call = 2
    with pytest.raises(ConnectionError):
        await audit.flush()
    assert len(db.stored_targets()) == 64 and audit.backlog() == 46
    audit.record("370124", actor=None, action="ticket.create", target="370124-later", result="ok")
    await audit.flush()
    expected = [f"370102-{i}" for i in range(100)] + [f"370124-{i}" for i in range(10)] + ["370124-later"]
    assert sorted(db.stored_targets()) == sorted(expected) and audit.backlog() == 0


async def test_a_bucket_stored_by_a_try_whose_answer_was_lost_is_not_stored_twice() -> None:
    db = Databases()
    audit = audit_with(db, {"370102": 3})
    db.fail_on_call = db.answer_lost_on_call = 1
    with pytest.raises(ConnectionError):
        await audit.flush()
    await audit.flush()  # the same bucket again: a duplicate `_id`, so it counts as stored
    assert db.stored_targets() == ["370102-0", "370102-1", "370102-2"] and audit.backlog() == 0
