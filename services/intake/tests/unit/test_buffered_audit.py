"""Buffered audit records (审计): written in bounded inserts, none lost or written twice when the database fails."""

from __future__ import annotations

import pytest
from pymongo.errors import BulkWriteError

from intake.adapters.audit import BufferedAudit

pytestmark = pytest.mark.unit


class Collection:
    def __init__(self, db: Databases) -> None:
        self.db = db

    async def insert_many(self, docs: list[dict], ordered: bool) -> None:
        self.db.calls.append(len(docs))
        if self.db.fail_on_call == len(self.db.calls):
            raise self.db.failure(docs, self.db)
        self.db.stored.extend(d["target"] for d in docs)


class Databases:
    def __init__(self) -> None:
        self.stored: list[str] = []
        self.calls: list[int] = []
        self.fail_on_call = 0  # the n-th insert raises `failure(docs, self)`
        self.failure = None

    def for_tenant(self, tenant: str) -> dict[str, Collection]:
        return {"audit_log": Collection(self)}


def audit_with(db: Databases, records: dict[str, int]) -> BufferedAudit:
    audit = BufferedAudit(db, "intake", chunk=64)  # type: ignore[arg-type]
    for tenant, count in records.items():
        for i in range(count):
            audit.record(tenant, actor=None, action="ticket.create", target=f"{tenant}-{i}", result="ok")
    return audit


async def test_a_large_flush_is_written_in_inserts_of_at_most_the_chunk() -> None:
    db = Databases()
    await audit_with(db, {"370102": 150}).flush()
    assert db.calls == [64, 64, 22] and len(set(db.stored)) == 150


async def test_a_database_failure_keeps_every_record_not_yet_stored_for_the_next_flush() -> None:
    db = Databases()
    audit = audit_with(db, {"370102": 100, "370124": 10})
    db.fail_on_call, db.failure = 2, lambda docs, _: ConnectionError("database away")
    with pytest.raises(ConnectionError):
        await audit.flush()
    assert len(db.stored) == 64  # the first insert; the rest of 370102 and all of 370124 wait
    await audit.flush()
    assert sorted(db.stored) == sorted([f"370102-{i}" for i in range(100)] + [f"370124-{i}" for i in range(10)])


async def test_records_a_partly_failed_insert_stored_are_not_written_again() -> None:
    db = Databases()
    audit = audit_with(db, {"370102": 3})

    def partly(docs: list[dict], store: Databases) -> Exception:
        store.stored.append(docs[0]["target"])  # stored by this try
        errors = [{"index": 1, "code": 11000, "errmsg": "duplicate key"}, {"index": 2, "code": 121, "errmsg": "validation"}]
        return BulkWriteError({"writeErrors": errors, "nInserted": 1})

    db.fail_on_call, db.failure = 1, partly
    with pytest.raises(BulkWriteError):
        await audit.flush()
    await audit.flush()
    assert db.stored == ["370102-0", "370102-2"]  # 1 was already stored by an earlier try; only 2 goes again
