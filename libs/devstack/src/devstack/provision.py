"""python -m devstack.provision: create the Kafka topics and the platform indexes (the Helm chart's Job runs this).

It reads the shared settings with the `HOTLINE_` prefix (HOTLINE_KAFKA_BOOTSTRAP_SERVERS, HOTLINE_MONGO_URI, …)
and imports only aiokafka, pymongo and the contracts, because service images install devstack without
its embedded servers. Each service creates its own collections' indexes at start-up (idempotently).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from pymongo import AsyncMongoClient

from devstack.topics import PARTITIONS, create_topics
from servicekit.settings import ServiceSettings


async def provision(settings: ServiceSettings, partitions: int, replication: int) -> list[str]:
    created = await create_topics(settings.kafka_bootstrap_servers, partitions=partitions, replication=replication)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_uri.get_secret_value(), serverSelectionTimeoutMS=10_000)
    try:
        platform = client[f"{settings.mongo_db_prefix}_platform"]
        await platform["org_units"].create_index("code", unique=True)
    finally:
        await client.close()
    return created


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="创建 Kafka 主题与平台索引 / create Kafka topics and platform indexes")
    parser.add_argument("--partitions", type=int, default=PARTITIONS)
    parser.add_argument("--replication", type=int, default=1)
    args = parser.parse_args(argv)
    settings = ServiceSettings()
    created = asyncio.run(provision(settings, args.partitions, args.replication))
    print(f"created {len(created)} topics: {', '.join(created) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
