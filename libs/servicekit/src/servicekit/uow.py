"""Unit of work (工作单元): what one use case changes, and the events that change announces, committed together.

A use case never publishes. It loads through the unit of work's repositories, lets the domain
decide, records the events of its decision (`record`), and commits. Committing writes each changed
document together with its events (the same MongoDB write: `servicekit.outbox` stamps them into
the document) and only then hands them to the process's one outbox relay, which publishes them and,
after a crash, republishes exactly what was stored and not yet published. A use case that fails
before `commit` leaves nothing behind: its recorded events are dropped with its changes.

    async with bootstrap.uow(tenant) as uow:
        order = await uow.orders.get(ticket_id)
        entry = order.apply("close", ...)
        uow.record(TicketClosedV1(...), subject=order.ticket_id)
        await uow.commit()

Each service subclasses `UnitOfWork` once for MongoDB and once with in-memory fakes (its unit tests
run every use case through the fake, built by the same bootstrap). `_commit` receives the recorded
events and must store them in the same write as the change of the document they belong to (a use
case that changes several documents puts each event on the document it is about).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from types import TracebackType
from typing import Any, ClassVar

from hotline_contracts import Envelope, make_event
from hotline_contracts.envelope import EventData
from servicekit import correlation

Events = list[Envelope[Any]]


class UnitOfWork(ABC):
    """One use case's changes for one tenant; `commit` stores them with their events, or nothing is stored."""

    source: ClassVar[str] = "/hotline/service"  # the CloudEvents `source` of the events this service records

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self._events: Events = []
        self.committed = False

    def record(self, data: EventData, *, subject: str, correlation_id: str | None = None) -> Envelope[Any]:
        """A domain event of this use case, published only if (and after) `commit` stores it."""
        envelope = make_event(
            data, tenant=self.tenant, source=self.source, subject=subject, correlation_id=correlation_id or correlation.ensure()
        )
        self._events.append(envelope)
        return envelope

    @property
    def pending(self) -> Sequence[Envelope[Any]]:
        return tuple(self._events)

    async def commit(self) -> None:
        """Store every change with its events; on failure nothing is published and the events stay recorded."""
        await self._commit(list(self._events))
        self._events = []
        self.committed = True

    def rollback(self) -> None:
        """Forget what was recorded (the use case failed before committing)."""
        self._events = []
        self._rollback()

    @abstractmethod
    async def _commit(self, events: Events) -> None:
        """Write each changed document together with its events (one write per document)."""

    def _rollback(self) -> None:  # noqa: B027 - a hook to override when needed, not an abstract method
        """Drop changes tracked but not written (override when the repositories track any)."""

    async def __aenter__(self) -> UnitOfWork:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None or not self.committed:
            self.rollback()


class MemoryOutbox:
    """The outbox of in-memory fakes: committed events in commit order, for unit tests to read."""

    def __init__(self) -> None:
        self.published: Events = []

    def commit(self, events: Sequence[Envelope[Any]]) -> None:
        self.published.extend(events)

    def of_type(self, model: type) -> list[Any]:
        """The data of committed events of one model class (e.g. `TicketClosedV1`)."""
        return [e.data for e in self.published if isinstance(e.data, model)]
