"""`./dev up`: broker, database and the five services on their embedded defaults, demo data seeded."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from devstack import processes
from devstack.devtoken import ensure_dev_issuer
from devstack.processes import ManagedProcess, PortTaken
from devstack.services import SERVICES, service_argv, service_env
from devstack.topics import create_topics

KAFKA_PORT = 9092
MONGO_PORT = 27017


def say(message: str) -> None:
    print(message, flush=True)


def progress(step: str, done: int, total: int) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    end = "\n" if done >= total else ""
    print(f"\r  {step:<28} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end, flush=True)


# Every service answers /readyz 200 within this many seconds of its process starting (tests/e2e asserts it).
READY_BUDGET_SECONDS = 15.0


async def wait_ready(url: str, proc: ManagedProcess) -> float:
    """Seconds from `proc`'s start to its first /readyz 200; polls until then (the caller bounds the wait)."""
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            if not proc.alive():
                raise RuntimeError(f"{proc.name} exited:\n{proc.tail()}")
            try:
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    return time.monotonic() - proc.started_at
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.25)


async def all_ready(
    watchers: dict[str, asyncio.Task[float]], procs: dict[str, ManagedProcess], timeout: float
) -> dict[str, float]:
    """Each service's seconds from process start to ready, once all are ready; names the laggards after `timeout`."""
    done, pending = await asyncio.wait(watchers.values(), timeout=timeout)
    for task in done:
        task.result()  # a process that exited
    if pending:
        late = [name for name, task in watchers.items() if task in pending]
        raise TimeoutError(f"{', '.join(late)} not ready after {timeout:.0f}s:\n{procs[late[0]].tail()}")
    return {name: task.result() for name, task in watchers.items()}


def stop_watching(watchers: dict[str, asyncio.Task[float]]) -> None:
    for task in watchers.values():
        if task.done() and not task.cancelled():
            task.exception()  # retrieved: the failure that matters was reported already
        task.cancel()


def report_ready(seconds: dict[str, float]) -> None:
    for name, took in seconds.items():
        over = f"  超出 / over the {READY_BUDGET_SECONDS:.0f}s budget" if took > READY_BUDGET_SECONDS else ""
        say(f"  {name:<14} 就绪 ready in {took:4.1f}s (进程启动后 / after its process started){over}")


async def seed(mongo_uri: str, customers: int) -> list[str]:
    """Load the demo province; returns the tenant codes it holds."""
    from devstack.seed import build_demo_province, load_demo_province

    data = build_demo_province(customers=customers, start_date=date.today())
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri, tz_aware=True)
    try:
        summary = await load_demo_province(client, data, progress=progress)
    finally:
        await client.close()
    say(f"  演示数据 demo data: {summary}")
    return [unit.code for unit in data.org_units]


def demo_tenants() -> list[str]:
    from devstack.seed import build_demo_province

    return [unit.code for unit in build_demo_province(customers=0, start_date=date.today()).org_units]


async def run(root: Path, customers: int, do_seed: bool, stop: asyncio.Event, offset: int = 0) -> int:
    state = root / ".devstack"
    logs = state / "logs"
    kafka_port, mongo_port = KAFKA_PORT + offset, MONGO_PORT + offset
    urls = {s.name: f"http://127.0.0.1:{s.port + offset}" for s in SERVICES}
    ports = {"tansu (Kafka)": kafka_port, "SecantusDB (MongoDB)": mongo_port} | {s.name: s.port + offset for s in SERVICES}
    try:
        processes.require_free(ports)
    except PortTaken as exc:
        say(f"无法启动 / cannot start: {exc}")
        return 2
    started = time.monotonic()
    children: list[ManagedProcess] = []
    watchers: dict[str, asyncio.Task[float]] = {}
    try:
        ensure_dev_issuer(state)
        say("启动 Kafka 协议代理 tansu 与 SecantusDB / starting broker and database …")
        broker = processes.start_tansu(kafka_port, logs)
        database = processes.start_secantus(mongo_port, state / "data" / "secantus", logs)
        children += [broker, database]
        processes.wait_for_port(broker, kafka_port)
        processes.wait_for_port(database, mongo_port)
        kafka = f"127.0.0.1:{kafka_port}"
        mongo_uri = processes.mongo_uri(mongo_port)
        created = await create_topics(kafka)
        say(f"  主题 topics: {len(created)} created")
        tenants = demo_tenants()
        for svc in SERVICES:
            env = service_env(
                svc,
                base_env=dict(os.environ),
                kafka=kafka,
                mongo_uri=mongo_uri,
                tenants=tenants,
                jwks_path=state / "jwks.json",
                port=svc.port + offset,
            )
            proc = processes.spawn(svc.name, service_argv(svc), logs, env)
            children.append(proc)
            # Watched from now on, while seeding runs, so each service's time to ready is its own.
            watchers[svc.name] = asyncio.create_task(wait_ready(urls[svc.name], proc))
        if do_seed:
            say("加载演示数据（山东 37）/ seeding the demo province (Shandong 37) …")
            await seed(mongo_uri, customers)
        say("等待服务就绪 / waiting for every /readyz …")
        report_ready(await all_ready(watchers, {p.name: p for p in children}, 90.0))
        say(f"\n全部就绪 / all ready in {time.monotonic() - started:.1f}s\n")
        for name, url in urls.items():
            say(f"  {name:<14} {url}   API 文档 docs: {url}/docs   指标 metrics: {url}/metrics")
        say(f"\n  Kafka: {kafka}    MongoDB: {mongo_uri}")
        say("  开发令牌 dev token:  ./dev token --tenant 37 --roles agent")
        say(f"  日志 logs: {logs}\n按 Ctrl-C 停止 / press Ctrl-C to stop")
        while not stop.is_set():
            dead = [p for p in children if not p.alive()]
            if dead:
                say(f"进程退出 / process exited: {dead[0].name}\n{dead[0].tail()}")
                return 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)
        return 0
    except (RuntimeError, TimeoutError, OSError) as exc:
        say(f"启动失败 / start-up failed: {exc}")
        return 1
    finally:
        stop_watching(watchers)
        say("正在停止 / stopping …")
        for proc in reversed(children):
            proc.stop()
        say("已停止 / stopped")


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="./dev up", description="启动嵌入式平台 / run the platform on its embedded defaults")
    parser.add_argument("--customers", type=int, default=12_000, help="demo customers to seed (default 12000)")
    parser.add_argument("--no-seed", action="store_true", help="skip the demo data")
    parser.add_argument("--port-offset", type=int, default=0, help="add N to every port (run a second stack beside the first)")
    args = parser.parse_args(argv)
    root = Path.cwd()

    async def _main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        return await run(root, args.customers, not args.no_seed, stop, args.port_offset)

    return asyncio.run(_main())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
