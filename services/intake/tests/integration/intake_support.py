"""Helpers for intake integration tests: a real app on real processes, seeded customers, topic readers."""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from pymongo import AsyncMongoClient

from intake.app import create_app
from intake.settings import Settings


def settings_for(tmp: Path, kafka: str, mongo: str, prefix: str, **kw: Any) -> Settings:
    return Settings(kafka_bootstrap_servers=kafka, mongo_uri=mongo, mongo_db_prefix=prefix, hosted_tenants=["37", "3701", "370102"],
                    auth_jwks_path=str(tmp / "jwks.json"), consumer_group=f"intake-{prefix}", outbox_owner=f"test-{prefix}", **kw)


async def seed_customers(mongo_uri: str, prefix: str, customers: list[Any]) -> None:
    client = AsyncMongoClient(mongo_uri)
    try:
        await client[f"{prefix}_370102"]["customers"].insert_many([asdict(c) for c in customers])
    finally:
        await client.close()


@asynccontextmanager
async def running(settings: Settings, *, wait_ready: bool = True):
    """The app with its lifespan (runtime, hooks, relay); yields an ASGI client once start-up hooks ran."""
    app = create_app(settings)
    runtime = app.state.runtime
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake", timeout=30) as client:
            async with asyncio.timeout(60):
                while not runtime.hooks_done or (wait_ready and (await client.get("/readyz")).status_code != 200):
                    await asyncio.sleep(0.2)
            yield client, app


async def read_topic(bootstrap: str, topic: str, group: str, want: int, match: Any, timeout: float = 40.0) -> list[dict]:
    """Every message on `topic` for which `match(message)` holds, until `want` arrived and 1 s more passed (to catch duplicates)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest", fetch_max_wait_ms=10)
    await consumer.start()
    out: list[dict] = []
    try:
        async with asyncio.timeout(timeout):
            while len(out) < want:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    out += [m for m in (json.loads(r.value) for r in records) if match(m)]
        for records in (await consumer.getmany(timeout_ms=1000)).values():
            out += [m for m in (json.loads(r.value) for r in records) if match(m)]
    finally:
        await consumer.stop()
    return out
