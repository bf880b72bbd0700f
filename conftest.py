"""Session fixtures: a real Kafka-protocol broker and MongoDB-wire database, started once, stopped after.

With a Docker engine, testcontainers runs Apache Kafka and MongoDB; without one (these machines and
CI) the embedded tansu and SecantusDB processes run on free ports instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import containers, processes
from devstack.service_process import OwnBroker

USE_CONTAINERS = containers.docker_engine_answers()


@pytest.fixture(scope="session")
def process_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("process-logs")


@pytest.fixture(scope="session")
def kafka_bootstrap(process_logs: Path) -> Iterator[str]:
    """A real tansu broker (Kafka protocol, memory storage), or Apache Kafka in a container."""
    if USE_CONTAINERS:
        with containers.kafka_container() as bootstrap:
            yield bootstrap
        return
    port = processes.free_port()
    proc = processes.start_tansu(port, process_logs)
    try:
        processes.wait_for_port(proc, port)
        yield f"127.0.0.1:{port}"
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def mongo_uri(process_logs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real SecantusDB server (MongoDB wire protocol on WiredTiger), or MongoDB in a container."""
    if USE_CONTAINERS:
        with containers.mongo_container() as uri:
            yield uri
        return
    port = processes.free_port()
    proc = processes.start_secantus(port, tmp_path_factory.mktemp("secantus-data"), process_logs)
    try:
        processes.wait_for_port(proc, port)
        yield processes.mongo_uri(port)
    finally:
        proc.stop()


@pytest.fixture
def unique_name() -> str:
    """A fresh suffix for a database, topic or consumer group (tansu groups can wedge when reused)."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[OwnBroker]:
    """A tansu for one fault test alone (it may stop and restart it), stopped at the end whatever happened."""
    broker = OwnBroker.start(tmp_path / "broker-logs")
    try:
        yield broker
    finally:
        broker.stop()
