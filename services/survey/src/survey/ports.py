"""What the use cases need from storage, metrics and the clock; the unit of work they open."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from hotline_contracts import Envelope
from servicekit.uow import Events, UnitOfWork
from survey.domain.model import ReturnVisit

Clock = Callable[[], datetime]


class VisitExists(Exception):
    """A visit with that id is already stored (the same closure handled at the same moment elsewhere)."""


class AlreadyCompleted(Exception):
    """The visit is no longer scheduled: someone recorded its result first."""


class VisitReader(Protocol):
    """Return visits as the HTTP routes and metrics read them (read-only)."""

    async def get(self, tenant: str, visit_id: str) -> ReturnVisit | None: ...

    async def list(self, tenant: str, *, state: str | None, limit: int) -> list[ReturnVisit]: ...

    async def result_counts(self, tenant: str) -> dict[str, int]: ...


class TenantVisits(Protocol):
    """Return visits inside a unit of work: its tenant's, read from storage."""

    async def get(self, visit_id: str) -> ReturnVisit | None: ...

    async def by_source_event(self, event_id: str) -> ReturnVisit | None: ...

    async def count_for_ticket(self, ticket_id: str) -> int: ...


class VisitUnitOfWork(UnitOfWork):
    """One use case's changes to one tenant's return visits, each stored in one write with its events.

    `add` a new visit or `complete` a scheduled one, `record` the events about it (subject: its order),
    then `commit`. MongoDB and in-memory storage each implement `_insert` and `_complete`.
    """

    source = "/hotline/survey"
    visits: TenantVisits

    def __init__(self, tenant: str) -> None:
        super().__init__(tenant)
        self._writes: list[tuple[str, ReturnVisit]] = []

    def add(self, visit: ReturnVisit) -> None:
        self._writes.append(("add", visit))

    def complete(self, visit: ReturnVisit) -> None:
        """Store the result only if the visit is still scheduled (else `AlreadyCompleted` at commit)."""
        self._writes.append(("complete", visit))

    async def _commit(self, events: Events) -> None:
        for kind, visit, own in self._with_events(events):
            if kind == "add":
                await self._insert(visit, own)
            else:
                await self._complete(visit, own)
        self._writes = []

    def _with_events(self, events: Events) -> list[tuple[str, ReturnVisit, Events]]:
        """Each write with the events about its visit (an event's subject is the visit's order)."""
        writes = [(kind, visit, [e for e in events if e.subject == visit.ticket_id]) for kind, visit in self._writes]
        placed = sum(len(own) for _, _, own in writes)
        if placed != len(events) or len({v.ticket_id for _, v in self._writes}) != len(self._writes):
            raise ValueError("every event must be about exactly one visit changed by this unit of work")
        return writes

    def _rollback(self) -> None:
        self._writes = []

    @abstractmethod
    async def _insert(self, visit: ReturnVisit, events: list[Envelope[Any]]) -> None:
        """Insert the visit with its events; `VisitExists` when its id is taken."""

    @abstractmethod
    async def _complete(self, visit: ReturnVisit, events: list[Envelope[Any]]) -> None:
        """Store the result with its events if the visit is still scheduled; `AlreadyCompleted` otherwise."""


class SurveyMetricsPort(Protocol):
    def visit_completed(self, tenant: str, result: str) -> None: ...

    def satisfaction(self, tenant: str, ratio: float | None) -> None: ...
