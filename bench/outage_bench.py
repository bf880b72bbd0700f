"""Outage-notice benchmark: account lookup p99 and resolve+queue time for an outage of 20,000 customers.

One tenant with 100,000 customers behind 10,000 transformer areas (20 stations × 50 feeders × 10 areas,
10 customers each), loaded with insert_many into a fresh SecantusDB; tansu for events. Lookups are timed
over a real socket (the service under uvicorn in a subprocess, one keep-alive httpx client, then 4 at once),
over the HTTP stack in-process (httpx ASGITransport) and through the use case; every series interleaves a raw
indexed find_one per lookup, so each p99 comes with the database's own p99 under the same load (a ratio).
Each account is asked once per series (cold cache); a last series repeats accounts (warm cache).

Run: .venv/bin/python bench/outage_bench.py
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# httpx's ASGITransport tries `import sniffio` on every request; when it is not installed the failed import
# rescans sys.path each time (~1-4 ms of *client* time under load). Marking it absent makes that import fail
# at once, so the in-process figure measures the service, not the harness.
try:
    import sniffio  # noqa: F401
except ImportError:
    sys.modules["sniffio"] = None  # type: ignore[assignment]

import httpx
from pymongo import AsyncMongoClient

from devstack import processes
from devstack.devtoken import ensure_dev_issuer, issue_token
from outage_notice.answers import LookupQuery, lookup
from outage_notice.app import create_app
from outage_notice.domain.outage import Scope
from outage_notice.settings import Settings

TENANT = "370102"
STATIONS, FEEDERS_PER_STATION, AREAS_PER_FEEDER, CUSTOMERS_PER_AREA = 20, 50, 10, 10
PER_SERIES = 600
RESULT = Path(__file__).parent / "results" / "outage.json"


def topology() -> tuple[list[dict], list[dict]]:
    areas, customers = [], []
    n = 0
    for s in range(STATIONS):
        for f in range(FEEDERS_PER_STATION):
            for a in range(AREAS_PER_FEEDER):
                station, feeder, ta = f"S{s:02d}", f"F{s:02d}{f:02d}", f"TA{s:02d}{f:02d}{a:02d}"
                areas.append({"tenant": TENANT, "code": ta, "name": ta, "feeder_code": feeder, "station_code": station, "area_class": "urban"})
                for _ in range(CUSTOMERS_PER_AREA):
                    n += 1
                    customers.append({
                        "tenant": TENANT, "account_no": f"{3700000000 + n}", "name": f"客户{n}", "phone": f"139{n:08d}",
                        "address": f"历下区测试路{n}号", "station_code": station, "feeder_code": feeder, "ta_code": ta,
                        "area_class": "urban", "important": n % 100 == 0, "dedicated_transformer": n % 50 == 0,
                        "arrears_status": "none", "preferred_channel": "sms", "channels": ["sms", "wechat"], "updated_at": datetime.now(UTC),
                    })
    return areas, customers


async def load(db, areas: list[dict], customers: list[dict]) -> dict[str, float]:
    started = time.perf_counter()
    for name, docs in (("transformer_areas", areas), ("customers", customers)):
        for i in range(0, len(docs), 1000):
            await db[name].insert_many(docs[i : i + 1000])
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 1), "docs_per_s": round((len(areas) + len(customers)) / seconds)}


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000, 2)


def summary(samples: list[float]) -> dict[str, float]:
    return {"n": len(samples), "p50_ms": pct(samples, 0.5), "p99_ms": pct(samples, 0.99), "mean_ms": round(statistics.mean(samples) * 1000, 2)}


async def timed(call) -> float:
    t = time.perf_counter()
    await call
    return time.perf_counter() - t


async def series(db, accounts: list[str], ask) -> dict:
    """One lookup per account, each followed by a raw indexed find_one of another account (same load)."""
    asked, raw = [], []
    for i, acc in enumerate(accounts):
        asked.append(await timed(ask(acc)))
        other = accounts[(i + len(accounts) // 2) % len(accounts)]
        raw.append(await timed(db["customers"].find_one({"tenant": TENANT, "account_no": other}, {"_id": 0, "ta_code": 1})))
    out, base = summary(asked), summary(raw)
    return out | {"raw_find_one_p99_ms": base["p99_ms"], "raw_find_one_p50_ms": base["p50_ms"],
                  "p99_over_raw_p99": round(out["p99_ms"] / base["p99_ms"], 2)}


async def run(work: Path) -> dict:
    kport, mport = processes.free_port(), processes.free_port()
    tansu = processes.start_tansu(kport, work / "logs")
    secantus = processes.start_secantus(mport, work / "data", work / "logs")
    try:
        processes.wait_for_port(tansu, kport)
        processes.wait_for_port(secantus, mport)
        return await measure(work, f"127.0.0.1:{kport}", processes.mongo_uri(mport))
    finally:
        tansu.stop()
        secantus.stop()


def account_sets(customers: list[dict]) -> list[list[str]]:
    """Disjoint sets, half inside the outage (stations S00-S03 = first 20,000), half outside."""
    inside = [c["account_no"] for c in customers[:20_000:7]]
    outside = [c["account_no"] for c in customers[50_000::23]]
    mixed = [a for pair in zip(inside, outside, strict=False) for a in pair]
    return [mixed[i * PER_SERIES : (i + 1) * PER_SERIES] for i in range(3)]


async def measure(work: Path, bootstrap: str, uri: str) -> dict:
    client = AsyncMongoClient(uri, tz_aware=True)
    db = client[f"bench_{TENANT}"]
    areas, customers = topology()
    key = ensure_dev_issuer(work)
    settings = Settings(kafka_bootstrap_servers=bootstrap, mongo_uri=uri, mongo_db_prefix="bench", hosted_tenants=[TENANT],
                        auth_jwks_path=str(work / "jwks.json"), notify_sink_dir=str(work / "notices"), scheduler_enabled=False)
    figures: dict = {"customers": len(customers), "transformer_areas": len(areas)}
    # Loaded before the service starts, so its start-up hook builds the indexes once over the data.
    figures["load_insert_many_no_indexes"] = await load(db, areas, customers)
    app = create_app(settings)
    token = issue_token(key, subject="bench", tenant=TENANT, roles=["unit_staff", "agent"])
    auth = {"Authorization": f"Bearer {token}"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://o", headers=auth) as http,
    ):
            while (await http.get("/readyz")).status_code != 200:
                await asyncio.sleep(0.2)
            deps = app.state.deps
            figures["resolve_only_20k"] = await resolve_only(deps, Scope(station_codes=("S04", "S05", "S06", "S07")))
            tas = tuple(a["code"] for a in areas if a["station_code"] == "S08")[:500]
            figures["resolve_only_500_transformer_areas"] = await resolve_only(deps, Scope(ta_codes=tas))
            figures["outage_20k"] = await outage_20k(http, db, deps)
            figures["raw_insert_many_20_batch_docs"] = await raw_batch_inserts(client["bench_scratch"])
            cold_http, cold_uc, cold_socket = account_sets(customers)

            def ask_http(acc: str):
                return http.get("/api/v1/outages/lookup", params={"account_no": acc, "unit": TENANT})

            figures["lookup_http_asgi_cold"] = await series(db, cold_http, ask_http)
            figures["lookup_use_case_mongo_cold"] = await series(db, cold_uc, lambda a: lookup([TENANT], LookupQuery(account_no=a), deps=deps))
            figures["lookup_http_asgi_warm_cache"] = await series(db, cold_http, ask_http)
            figures["lookup_known_answers"] = sum([(await ask_http(a)).json()["known"] for a in cold_http[:100]])
    # After the in-process app stopped, so its consumers do not share the CPU with the served process.
    figures |= await socket_lookups(work, bootstrap, uri, auth, db, cold_socket)
    await client.close()
    figures["targets"] = {
        "lookup_p99_under_10ms_socket": figures["lookup_socket_c1_cold"]["p99_ms"] < 10,
        "lookup_p99_under_10ms_in_process": figures["lookup_http_asgi_cold"]["p99_ms"] < 10,
        "resolve_and_queue_under_10s": figures["outage_20k"]["resolve_and_queue_s"] < 10,
    }
    return figures


async def socket_lookups(work: Path, bootstrap: str, uri: str, auth: dict, db, accounts: list[str]) -> dict:
    """The service as deployed: `python -m outage_notice` (uvicorn) in its own process, real TCP, keep-alive."""
    port = processes.free_port()
    env = dict(os.environ, OUTAGE_NOTICE_KAFKA_BOOTSTRAP_SERVERS=bootstrap, OUTAGE_NOTICE_MONGO_URI=uri,
               OUTAGE_NOTICE_MONGO_DB_PREFIX="bench", OUTAGE_NOTICE_HOSTED_TENANTS=json.dumps([TENANT]),
               OUTAGE_NOTICE_AUTH_JWKS_PATH=str(work / "jwks.json"), OUTAGE_NOTICE_HTTP_PORT=str(port),
               OUTAGE_NOTICE_HTTP_HOST="127.0.0.1", OUTAGE_NOTICE_SCHEDULER_ENABLED="false", OUTAGE_NOTICE_LOG_LEVEL="WARNING",
               OUTAGE_NOTICE_NOTIFY_SINK_DIR=str(work / "notices"))
    log = (work / "logs" / "uvicorn.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "outage_notice"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: ASYNC220 - only starts it
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=auth, timeout=10.0) as http:
            for _ in range(300):
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)

            def ask(acc: str):
                return http.get("/api/v1/outages/lookup", params={"account_no": acc, "unit": TENANT})

            await ask(accounts[-1])  # open the keep-alive connection
            single = await series(db, accounts[: PER_SERIES // 2], ask)
            four = await concurrent(ask, accounts[PER_SERIES // 2 :], 4)
        return {"lookup_socket_c1_cold": single, "lookup_socket_c4_cold": four}
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


async def concurrent(ask, accounts: list[str], workers: int) -> dict:
    samples: list[float] = []

    async def worker(part: list[str]) -> None:
        for acc in part:
            samples.append(await timed(ask(acc)))

    t = time.perf_counter()
    await asyncio.gather(*(worker(accounts[i::workers]) for i in range(workers)))
    return summary(samples) | {"concurrency": workers, "requests_per_s": round(len(samples) / (time.perf_counter() - t))}


async def raw_batch_inserts(scratch) -> dict[str, float]:
    """The database's own time for the queue's writes of one 20,000-customer outage: 21 batch docs, 2 indexes."""
    col = scratch["notice_batches"]
    await col.create_index([("tenant", 1), ("outage_id", 1), ("notice_kind", 1)])
    await col.create_index([("tenant", 1), ("state", 1), ("due_at", 1)])
    now = datetime.now(UTC)
    docs = [{"_id": f"RAW|{b}", "tenant": TENANT, "outage_id": "RAW", "notice_kind": "outage_notice", "channel": "sms", "state": "queued",
             "due_at": now, "count": 1000, "accounts": [f"{b * 1000 + i:010d}" for i in range(1000)],
             "addresses": [f"139{b * 1000 + i:08d}" for i in range(1000)]} for b in range(21)]
    t = time.perf_counter()
    await col.insert_many(docs, ordered=True)
    return {"docs": len(docs), "recipients": 21_000, "seconds": round(time.perf_counter() - t, 3)}


async def resolve_only(deps, scope: Scope) -> dict[str, float]:
    t = time.perf_counter()
    found = await deps.directory.affected(TENANT, scope)
    return {"customers": len(found), "seconds": round(time.perf_counter() - t, 2)}


async def outage_20k(http: httpx.AsyncClient, db, deps) -> dict:
    """Report + publish an outage of 4 stations (20,000 customers): resolve, store, announce, queue notices."""
    start = datetime.now(UTC) + timedelta(hours=1)
    body = {"outage_id": "TD-BENCH-1", "outage_type": "temporary", "scope": {"station_codes": ["S00", "S01", "S02", "S03"]},
            "planned_start": start.isoformat(), "planned_end": (start + timedelta(hours=4)).isoformat(), "cause": "10kV线路检修"}
    t = time.perf_counter()
    response = await http.post("/api/v1/outages", json=body)
    seconds = time.perf_counter() - t
    assert response.status_code == 201, response.text
    queued = await deps.notices.queued_count(TENANT, "TD-BENCH-1")
    batches = await db["notice_batches"].count_documents({"tenant": TENANT, "outage_id": "TD-BENCH-1"})
    return {"affected_customers": response.json()["affected_customers"], "notices_queued": queued, "batch_documents": batches,
            "resolve_and_queue_s": round(seconds, 2), "notices_per_s": round(queued / seconds)}


def main() -> None:
    load_before = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="outage-bench-") as tmp:
        figures = asyncio.run(run(Path(tmp)))
    figures = {"benchmark": "outage-notice", "command": " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]),
               "measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "cpus": os.cpu_count(),
               "load_average_1_5_15": {"before": load_before, "after": [round(x, 2) for x in os.getloadavg()]}, **figures}
    text = json.dumps(figures, ensure_ascii=False, indent=2)
    RESULT.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
