"""The unit of work: events recorded by a use case are stored with its change on commit, or not at all."""

from __future__ import annotations

import pytest

from hotline_contracts.events.ticket import TicketCreatedV1
from servicekit.uow import Events, MemoryOutbox, UnitOfWork

pytestmark = pytest.mark.unit


class Orders(UnitOfWork):
    source = "/hotline/test"

    def __init__(self, tenant: str, store: dict[str, dict], outbox: MemoryOutbox, fail: bool = False) -> None:
        super().__init__(tenant)
        self.store, self.outbox, self.fail = store, outbox, fail
        self.changed: dict[str, dict] = {}

    async def _commit(self, events: Events) -> None:
        if self.fail:
            raise ConnectionError("database down")
        self.store.update(self.changed)
        self.outbox.commit(events)

    def _rollback(self) -> None:
        self.changed.clear()


async def test_committed_events_carry_the_tenant_source_and_subject(ticket_created: TicketCreatedV1) -> None:
    store, outbox = {}, MemoryOutbox()
    async with Orders("370102", store, outbox) as uow:
        uow.changed["o1"] = {"state": "accepted"}
        recorded = uow.record(ticket_created, subject="o1")
        assert outbox.published == []  # nothing is published before commit
        await uow.commit()
    assert store == {"o1": {"state": "accepted"}}
    assert [e.id for e in outbox.published] == [recorded.id]
    assert (recorded.tenant, recorded.source, recorded.subject) == ("370102", "/hotline/test", "o1")
    assert outbox.of_type(TicketCreatedV1) == [ticket_created]


async def test_a_use_case_that_fails_before_commit_stores_and_publishes_nothing(ticket_created: TicketCreatedV1) -> None:
    store, outbox = {}, MemoryOutbox()
    with pytest.raises(ValueError):
        async with Orders("370102", store, outbox) as uow:
            uow.changed["o1"] = {"state": "accepted"}
            uow.record(ticket_created, subject="o1")
            raise ValueError("refused by the domain")
    assert store == {} and outbox.published == [] and uow.pending == ()


async def test_a_failed_write_publishes_nothing_and_keeps_the_events_for_a_retry(ticket_created: TicketCreatedV1) -> None:
    store, outbox = {}, MemoryOutbox()
    uow = Orders("370102", store, outbox, fail=True)
    uow.record(ticket_created, subject="o1")
    with pytest.raises(ConnectionError):
        await uow.commit()
    assert outbox.published == [] and len(uow.pending) == 1 and not uow.committed
