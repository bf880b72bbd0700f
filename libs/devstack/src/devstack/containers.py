"""Real Apache Kafka and MongoDB through testcontainers, used by the test fixtures whenever a Docker engine answers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


def docker_engine_answers() -> bool:
    """True when a Docker engine responds (never on the embedded-only CI machines); HOTLINE_TEST_NO_DOCKER=1 opts out."""
    if os.environ.get("HOTLINE_TEST_NO_DOCKER") == "1":
        return False
    try:
        import docker

        docker.from_env(timeout=2).ping()
    except Exception:  # noqa: BLE001 - any failure means "no engine here"
        return False
    return True


@contextmanager
def kafka_container() -> Iterator[str]:
    from testcontainers.community.kafka import KafkaContainer

    with KafkaContainer("apache/kafka:3.9.1").with_kraft() as kafka:
        yield kafka.get_bootstrap_server()


@contextmanager
def mongo_container() -> Iterator[str]:
    from testcontainers.community.mongodb import MongoDbContainer

    with MongoDbContainer("mongo:7.0") as mongo:
        yield mongo.get_connection_url()
