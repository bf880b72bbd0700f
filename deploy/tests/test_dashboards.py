"""Grafana dashboards: generated from deploy/tools/gen_dashboards.py, every PromQL expression parses
(promtool checks them as recording rules), and they use the metric names of CONTRIBUTING.md."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from deploykit import CHART, DEPLOY, REPO, SERVICES, run

pytestmark = pytest.mark.deploy

BOARDS = sorted((CHART / "dashboards").glob("*.json"))
# Grafana's variables, replaced by something PromQL accepts before parsing
GRAFANA_VARS = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h", "$service": ".*", "$tenant": ".*"}


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def panels(board: dict) -> list[dict]:
    return [p for p in board["panels"] if p["type"] != "row"]


def exprs(board: dict) -> list[str]:
    return [t["expr"] for p in panels(board) for t in p["targets"]]


def promql(expr: str) -> str:
    for var, value in GRAFANA_VARS.items():
        expr = expr.replace(var, value)
    assert "$" not in expr, f"unknown Grafana variable in {expr}"
    return expr


def documented_metrics() -> set[str]:
    text = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text[text.index("## Metrics") :]
    section = section[: section.index("\n## ", 5)]
    return set(re.findall(r"`(hotline_[a-z_]+)", section))


def test_committed_dashboards_are_what_the_generator_writes() -> None:
    spec = importlib.util.spec_from_file_location("gen_dashboards", DEPLOY / "tools" / "gen_dashboards.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = gen  # dataclasses look their module up there
    try:
        spec.loader.exec_module(gen)
    finally:
        del sys.modules[spec.name]
    built = gen.build()
    assert sorted(f"{name}.json" for name in built) == [p.name for p in BOARDS]
    for name, board in built.items():
        committed = (CHART / "dashboards" / f"{name}.json").read_text(encoding="utf-8")
        assert committed == gen.render(board), f"{name}.json is stale: run .venv/bin/python deploy/tools/gen_dashboards.py"


def test_one_overview_and_one_dashboard_per_service() -> None:
    uids = {load(p)["uid"] for p in BOARDS}
    assert uids == {"hotline-overview", *(f"hotline-{s}" for s in SERVICES)}


@pytest.mark.parametrize("path", BOARDS, ids=lambda p: p.stem)
def test_dashboard_structure_and_variables(path: Path) -> None:
    board = load(path)
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert {"tenant", "service", "datasource"} <= set(variables)
    assert variables["tenant"]["multi"] and variables["tenant"]["includeAll"]
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in panels(board):
        assert panel["targets"], panel["title"]
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24 and grid["h"] > 0
        for target in panel["targets"]:
            assert target["expr"] and target["refId"]
            uses_business_metric = not any(m in target["expr"] for m in ("hotline_http", "hotline_events", "hotline_dead", "hotline_consumer", "hotline_outbox", "up{"))
            assert ('tenant=~"$tenant"' in target["expr"]) == uses_business_metric, target["expr"]


def test_service_dashboards_show_http_per_endpoint_events_lag_and_outbox() -> None:
    for name in SERVICES:
        text = " ".join(exprs(load(CHART / "dashboards" / f"hotline-{name}.json")))
        for needle in (
            "sum by (service, method, route) (rate(hotline_http_requests_total",
            'status=~"5.."',
            "hotline_http_request_duration_seconds_bucket",
            "hotline_events_consumed_total",
            'result=~"failed|dead_lettered"',
            "hotline_dead_letters_total",
            "hotline_consumer_lag",
            "hotline_outbox_backlog",
            "hotline_outbox_oldest_age_seconds",
        ):
            assert needle in text, f"{name}: {needle}"


def test_dashboards_use_only_documented_metrics_and_show_all_of_them() -> None:
    documented = documented_metrics()
    assert len(documented) == 24  # 8 shared + 16 business metrics
    used = set()
    for path in BOARDS:
        for expr in exprs(load(path)):
            names = set(re.findall(r"\b(hotline_[a-z_]+?)(?:_bucket)?\b(?=[{\[( ])", expr))
            names = {n.removesuffix("_bucket") for n in names}
            assert names <= documented, f"{path.name}: {names - documented}"
            used |= names
    assert used == documented, f"documented metrics on no dashboard: {documented - used}"


def _check_as_recording_rules(promtool: Path, tmp_path: Path, expressions: list[str]) -> subprocess.CompletedProcess[str]:
    rules = {"groups": [{"name": "dashboards", "rules": [{"record": f"hotline_dashboard:q{i}", "expr": e} for i, e in enumerate(expressions)]}]}
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    return run([str(promtool), "check", "rules", str(path)])


def test_every_dashboard_query_parses(promtool: Path, tmp_path: Path) -> None:
    expressions = [promql(e) for path in BOARDS for e in exprs(load(path))]
    assert len(expressions) > 60
    result = _check_as_recording_rules(promtool, tmp_path, expressions)
    assert result.returncode == 0, result.stdout
    assert f"SUCCESS: {len(expressions)} rules found" in result.stdout


def test_promtool_does_reject_a_broken_query(promtool: Path, tmp_path: Path) -> None:
    result = _check_as_recording_rules(promtool, tmp_path, ["sum by (service (rate(hotline_http_requests_total[5m]))"])
    assert result.returncode != 0
