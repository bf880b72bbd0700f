"""The kit's idempotency claims (processed event ids), written by group commit."""

from __future__ import annotations

from datetime import UTC, datetime

from pymongo.errors import DuplicateKeyError

from servicekit.kafka import ProcessedEvents
from servicekit.mongo import TenantDatabases

from dispatch.adapters.group_commit import GroupInsert


class GroupedProcessedEvents(ProcessedEvents):
    """Same documents and unique index as `ProcessedEvents`; the claims of one Kafka batch share one insert."""

    def __init__(self, dbs: TenantDatabases, consumer: str) -> None:
        super().__init__(dbs, consumer)
        self._inserts = GroupInsert()

    async def claim(self, tenant: str, event_id: str) -> bool:
        if tenant not in self._indexed:
            await self.ensure_indexes(tenant)  # never claim before the unique index exists
        doc = {"tenant": tenant, "consumer": self.consumer, "event_id": event_id, "at": datetime.now(UTC)}
        try:
            await self._inserts.insert(self.dbs.for_tenant(tenant)[self.COLLECTION], doc)
        except DuplicateKeyError:
            return False
        return True
