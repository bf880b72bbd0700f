"""One service as a real process against given broker and database servers, for fault tests.

Fault tests kill a service (SIGKILL) at a chosen moment and start it again; an in-process app
cannot be killed that way. `start_service` runs `python -m <module>` with the same environment
variables the launcher, compose and the chart use, on a free port and a database prefix of the
test's own.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from devstack import processes
from devstack.devtoken import ensure_dev_issuer, issue_token
from devstack.services import SERVICES, ServiceDef, service_argv, service_env


@dataclass
class ServiceProcess:
    """A running service: its process, URL and the environment it was started with."""

    svc: ServiceDef
    proc: processes.ManagedProcess
    url: str
    env: dict[str, str]

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, nothing queued in memory is published."""
        os.killpg(self.proc.popen.pid, signal.SIGKILL)
        self.proc.popen.wait(10)

    def wait_ready(self, timeout: float = 60.0) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if not self.proc.alive():
                raise RuntimeError(f"{self.svc.name} exited:\n{self.proc.tail(40)}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2.0).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.svc.name} not ready after {timeout:.0f}s:\n{self.proc.tail(40)}")


def service_def(name: str) -> ServiceDef:
    return next(s for s in SERVICES if s.name == name)


def start_service(
    name: str, *, kafka: str, mongo_uri: str, db_prefix: str, tenants: list[str], jwks_path: Path, log_dir: Path,
    settings: dict[str, str] | None = None,
) -> ServiceProcess:
    """Start `name` (e.g. "dispatch"); `settings` are extra variables without the service's prefix (OUTBOX_PAUSED=true)."""
    svc = service_def(name)
    port = processes.free_port()
    env = service_env(svc, base_env=dict(os.environ), kafka=kafka, mongo_uri=mongo_uri, tenants=tenants,
                      jwks_path=jwks_path, port=port, db_prefix=db_prefix)
    env.update({f"{svc.env_prefix}{key}": value for key, value in (settings or {}).items()})
    proc = processes.spawn(f"{name}-{port}", service_argv(svc), log_dir, env)
    return ServiceProcess(svc, proc, f"http://127.0.0.1:{port}", env)


def start_in(
    workdir: Path, name: str, *, kafka: str, mongo_uri: str, db_prefix: str, tenants: list[str],
    settings: dict[str, str] | None = None,
) -> ServiceProcess:
    """`start_service` for a test: it trusts the issuer of `bearer(workdir, ...)` and logs under `workdir/logs`."""
    return start_service(name, kafka=kafka, mongo_uri=mongo_uri, db_prefix=db_prefix, tenants=tenants,
                         jwks_path=workdir / "issuer" / "jwks.json", log_dir=workdir / "logs", settings=settings)


def bearer(workdir: Path, *, subject: str, tenant: str, roles: list[str]) -> dict[str, str]:
    """The Authorization header of a development token from the issuer kept under `workdir/issuer`."""
    key = ensure_dev_issuer(workdir / "issuer")
    return {"Authorization": f"Bearer {issue_token(key, subject=subject, tenant=tenant, roles=roles)}"}


@dataclass
class OwnBroker:
    """A broker for one fault test alone, which the test may stop and start again on the same port."""

    port: int
    logs: Path
    proc: processes.ManagedProcess

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @classmethod
    def start(cls, logs: Path) -> OwnBroker:
        port = processes.free_port()
        broker = cls(port, logs, processes.start_tansu(port, logs))
        processes.wait_for_port(broker.proc, port)
        return broker

    def stop(self) -> None:
        self.proc.stop()

    def restart(self) -> None:
        """Start it again after `stop()`: the same address, and (memory storage) no topics."""
        self.proc = processes.start_tansu(self.port, self.logs)
        processes.wait_for_port(self.proc, self.port)


@contextmanager
def running(*args: Any, **kwargs: Any) -> Iterator[ServiceProcess]:
    """`start_service`, ready, and stopped at the end whatever happened."""
    service = start_service(*args, **kwargs)
    try:
        service.wait_ready()
        yield service
    finally:
        service.proc.stop()


async def consume_events(
    kafka: str, topics: list[str], *, match: Callable[[dict[str, Any]], bool], until: Callable[[list[dict[str, Any]]], bool],
    timeout: float = 60.0, settle: float = 3.0,
) -> list[dict[str, Any]]:
    """Every event on `topics` that `match`es, read by a fresh group from the beginning, until `until(seen)` holds
    and then `settle` seconds more (a duplicate would arrive in that time); returns them all, duplicates included."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=kafka, group_id=f"fault-{os.urandom(5).hex()}",
                                auto_offset_reset="earliest", fetch_max_wait_ms=50)
    await consumer.start()
    seen: list[dict[str, Any]] = []
    try:
        deadline = time.monotonic() + timeout
        settled_at: float | None = None
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                seen += [e for e in (json.loads(r.value) for r in records) if match(e)]
            if settled_at is None and until(seen):
                settled_at = time.monotonic() + settle
            if settled_at is not None and time.monotonic() >= settled_at:
                break
        await asyncio.sleep(0)
    finally:
        await consumer.stop()
    return seen
