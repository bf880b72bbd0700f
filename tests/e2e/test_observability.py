"""Dashboards and alerts against a real Prometheus scraping the running stack (可观测性端到端).

A Prometheus process (the Debian binary deploy/tools/install-tools.sh installs) scrapes the five
services every second with the job/label scheme of deploy/prometheus/prometheus.yml and loads the
chart's alert rules. A short scenario (tests/e2e/scenario.py) then drives the services, and every
dashboard panel query and every alert expression is run through Prometheus' HTTP API.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from devstack.processes import free_port
from devstack.services import SERVICES
from tests.e2e.scenario import ScenarioReport, run_scenario

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = sorted((ROOT / "deploy/helm/hotline/dashboards").glob("*.json"))
RULES_FILE = ROOT / "deploy/helm/hotline/rules/hotline-alerts.yml"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
RATE_INTERVAL = "1m"

# Panels that stay empty after the scenario, and why. Anything empty and not listed fails the test;
# anything listed that does show data is reported so the list can shrink.
_SERVICE_BOARDS = ("analytics", "dispatch", "intake", "outage-notice", "survey")
EXPECTED_EMPTY: dict[str, str] = {
    **{f"hotline-{b} / 5xx 错误率 / Error ratio per endpoint [A]": (
        "no route answered 5xx in the last minute: the ratio is empty (no 5xx series) or 0/0 = NaN per route"
    ) for b in _SERVICE_BOARDS},
    "hotline-outage-notice / 通知发送 / Notices sent by channel and result [A]": (
        "timing: empty when no customer notice of the scenario's outage came due during the run (seen both ways)"
    ),
}


def prometheus_config(stack: Any, rules: Path) -> dict[str, Any]:
    """The compose Prometheus config, pointed at the e2e stack's ports and scraping every second."""
    targets = [
        {"targets": [f"127.0.0.1:{svc.port + stack.offset}"], "labels": {"service": svc.name}} for svc in SERVICES
    ]
    return {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s",
                   "external_labels": {"hotline_deployment": "e2e"}},
        "rule_files": [str(rules)],
        "scrape_configs": [{"job_name": "hotline", "honor_labels": True, "metrics_path": "/metrics",
                            "static_configs": targets}],
    }


@pytest.fixture(scope="module")
def prometheus(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(PROMETHEUS).exists():
        pytest.fail("prometheus is not installed: run deploy/tools/install-tools.sh")
    work = tmp_path_factory.mktemp("prometheus")
    config = work / "prometheus.yml"
    config.write_text(yaml.safe_dump(prometheus_config(stack, RULES_FILE)), encoding="utf-8")
    port = free_port()
    log = (work / "prometheus.log").open("w")
    proc = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={work / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1h"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_ready(url, proc):
            pytest.fail("prometheus did not start:\n" + (work / "prometheus.log").read_text()[-3000:])
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{url}/-/ready", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


def query(prom: str, expr: str) -> dict[str, Any]:
    return httpx.get(f"{prom}/api/v1/query", params={"query": expr}, timeout=10).json()


def has_data(result: list[dict[str, Any]]) -> bool:
    return any(not math.isnan(float(s["value"][1])) for s in result)


@pytest.fixture(scope="module")
def scenario(prometheus: str, stack: Any) -> ScenarioReport:
    wait_for_targets(prometheus)
    report = run_scenario(stack)
    print("\nscenario steps:")
    for name, status, detail in report.steps:
        print(f"  [{status}] {name}: {detail}")
    # Let at least a few scrapes after the last step land before reading rates over a minute.
    time.sleep(4)
    return report


def wait_for_targets(prom: str, timeout: float = 60) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    targets: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        targets = httpx.get(f"{prom}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
        if len(targets) == len(SERVICES) and all(t["health"] == "up" for t in targets):
            return targets
        time.sleep(1)
    return targets


def panel_queries() -> list[tuple[str, str, str]]:
    """(dashboard, panel title, expr) with Grafana's variables replaced as the brief fixes them."""
    out = []
    for path in DASHBOARDS:
        board = json.loads(path.read_text(encoding="utf-8"))
        stack = list(board.get("panels", []))
        while stack:
            panel = stack.pop(0)
            stack.extend(panel.get("panels", []))
            for target in panel.get("targets", []):
                expr = (target.get("expr") or "").replace("$__rate_interval", RATE_INTERVAL)
                expr = expr.replace("$service", ".*").replace("$tenant", ".*")
                if expr:
                    out.append((path.stem, f"{panel.get('title')} [{target.get('refId', '')}]", expr))
    return out


def alert_rules() -> list[tuple[str, str]]:
    doc = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    return [(r.get("alert") or r.get("record"), r["expr"]) for g in doc["groups"] for r in g["rules"]]


def test_prometheus_scrapes_every_service_and_every_target_is_up(prometheus: str) -> None:
    targets = wait_for_targets(prometheus)
    by_service = {t["labels"]["service"]: t for t in targets}
    assert sorted(by_service) == sorted(s.name for s in SERVICES)
    down = {name: t.get("lastError") for name, t in by_service.items() if t["health"] != "up"}
    assert down == {}
    up = query(prometheus, 'up{service=~"intake|dispatch|outage-notice|survey|analytics"}')["data"]["result"]
    assert {s["metric"]["service"]: s["value"][1] for s in up} == {s.name: "1" for s in SERVICES}


def test_every_dashboard_panel_query_runs_and_shows_the_scenario(prometheus: str, scenario: ScenarioReport) -> None:
    errors, empty, shown = [], {}, []
    for board, title, expr in panel_queries():
        body = query(prometheus, expr)
        if body.get("status") != "success":
            errors.append((board, title, body.get("error")))
        elif has_data(body["data"]["result"]):
            shown.append((board, title))
        else:
            empty[f"{board} / {title}"] = expr
    print(f"\n{len(shown)} panel queries return data; {len(empty)} return none:")
    for key, expr in empty.items():
        print(f"  NO DATA {key}: {EXPECTED_EMPTY.get(key, 'UNEXPLAINED')}\n      {expr}")
    for key in sorted(set(EXPECTED_EMPTY) - set(empty)):
        print(f"  now shows data (drop from EXPECTED_EMPTY): {key}")
    assert errors == []
    assert {k: expr for k, expr in empty.items() if k not in EXPECTED_EMPTY} == {}


def test_every_alert_expression_evaluates(prometheus: str, scenario: ScenarioReport) -> None:
    failures = []
    for name, expr in alert_rules():
        body = query(prometheus, expr)
        if body.get("status") != "success":
            failures.append((name, body.get("error")))
    assert failures == []
    # Prometheus itself loaded the file and evaluated each rule without error.
    deadline = time.monotonic() + 10
    while True:
        groups = httpx.get(f"{prometheus}/api/v1/rules", timeout=5).json()["data"]["groups"]
        rules = [r for g in groups for r in g["rules"]]
        if all(r.get("lastEvaluation", "").startswith("20") for r in rules) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert sorted(r["name"] for r in rules) == sorted(n for n, _ in alert_rules())
    assert [(r["name"], r.get("lastError")) for r in rules if r.get("health") != "ok"] == []
    # The scenario's late outage report is the unit's first: its counter series is born at 1, and the
    # alert expression must still fire for it (the `unless … offset` arm).
    if any(s == "late outage report" and st == "ok" for s, st, _ in scenario.steps):
        late = query(prometheus, 'hotline_late_outage_reports_total{service="outage-notice"}')["data"]["result"]
        assert late and float(late[0]["value"][1]) >= 1
        expr = dict(alert_rules())["HotlineLateOutageReports"]
        assert query(prometheus, expr)["data"]["result"], "HotlineLateOutageReports does not fire for a first late report"
