"""The MongoDB unit of work: each outage and each finished notice batch written together with its events."""

from __future__ import annotations

from datetime import datetime

from outage_notice.adapters.mongo import MongoOutages
from outage_notice.adapters.mongo_batches import MongoNoticeQueue
from outage_notice.domain.notices import Notice
from outage_notice.uow import OutageUnitOfWork, OutageWrite, Result
from servicekit.uow import Events


class MongoOutageUnitOfWork(OutageUnitOfWork):
    """Writes through `MongoOutages` (collection `outages`, appends) and `MongoNoticeQueue` (`notice_batches`)."""

    def __init__(self, tenant: str, outages: MongoOutages, queue: MongoNoticeQueue) -> None:
        super().__init__(tenant, outages)
        self.store = outages
        self.queue = queue

    async def claim_due(self, now: datetime, limit: int) -> list[Notice]:
        return await self.queue.claim_due(self.tenant, now, limit)

    async def _write_outage(self, write: OutageWrite, events: Events) -> None:
        if write.expected_seq is None:
            await self.store.insert(self.tenant, write.outage, write.revisions, events)
        else:
            await self.store.update(self.tenant, write.outage, write.revisions, events, expected_seq=write.expected_seq)

    async def _enqueue(self, notices: list[Notice]) -> int:
        return await self.queue.enqueue(self.tenant, notices)

    async def _mark_renotice_done(self, outage_id: str) -> None:
        await self.store.mark_renotice_done(self.tenant, outage_id)

    async def _finish(self, results: list[Result], at: datetime, events: dict[str, Events]) -> None:
        await self.queue.finish(self.tenant, results, at, events)
