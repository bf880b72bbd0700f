"""python -m devstack.provision: create the Kafka topics (the Helm chart's Job runs this)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from devstack.topics import PARTITIONS, create_topics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="创建 Kafka 主题 / create Kafka topics")
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--partitions", type=int, default=int(os.environ.get("KAFKA_PARTITIONS", PARTITIONS)))
    parser.add_argument("--replication", type=int, default=int(os.environ.get("KAFKA_REPLICATION", 1)))
    args = parser.parse_args(argv)
    created = asyncio.run(create_topics(args.bootstrap, partitions=args.partitions, replication=args.replication))
    print(f"created {len(created)} topics: {', '.join(created) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
