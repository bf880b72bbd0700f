"""Creating every registered topic, with the partitions the consumers expect."""

from __future__ import annotations

import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from hotline_contracts.registry import all_topics

PARTITIONS = 4


async def create_topics(bootstrap: str, *, partitions: int = PARTITIONS, replication: int = 1) -> list[str]:
    """Create the topics that are missing; returns the ones created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in all_topics() if t not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another launcher created them meanwhile
                await admin.create_topics([NewTopic(t, partitions, replication) for t in missing])
        return missing
    finally:
        await admin.close()
