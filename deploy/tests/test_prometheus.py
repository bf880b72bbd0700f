"""Alert rules and the Prometheus config: promtool checks them, unit-tests every alert, and every
alert's runbook link lands on a section of deploy/RUNBOOK.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from deploykit import CHART, DEPLOY, run

pytestmark = pytest.mark.deploy

RULES = CHART / "rules" / "hotline-alerts.yml"
RULE_TESTS = sorted((DEPLOY / "prometheus" / "tests").glob("*.yml"))
REQUIRED_ALERTS = {
    "HotlineServiceDown",
    "HotlineHighErrorRatio",
    "HotlineConsumerLagHigh",
    "HotlineOutboxBacklogHigh",
    "HotlineOutboxStalled",
    "HotlineDeadLettersGrowing",
    "HotlineTimeLimitBreachSurge",
    "HotlineLateOutageReports",
    "HotlineCalendarYearUnconfirmed",
}


def alerts() -> list[dict]:
    return [r for g in yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"] for r in g["rules"] if "alert" in r]


def github_anchor(heading: str) -> str:
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower(), flags=re.UNICODE)
    return slug.replace(" ", "-")


def test_the_compose_rules_path_is_the_charts_file() -> None:
    linked = DEPLOY / "prometheus" / "rules" / "hotline-alerts.yml"
    assert linked.resolve() == RULES.resolve()
    assert (DEPLOY / "grafana" / "dashboards").resolve() == (CHART / "dashboards").resolve()


def test_promtool_check_rules(promtool: Path) -> None:
    result = run([str(promtool), "check", "rules", str(RULES)])
    assert result.returncode == 0, result.stdout
    assert f"SUCCESS: {len(alerts())} rules found" in result.stdout


def test_promtool_check_config(promtool: Path) -> None:
    result = run([str(promtool), "check", "config", str(DEPLOY / "prometheus" / "prometheus.yml")])
    assert result.returncode == 0, result.stdout
    assert "1 rule files found" in result.stdout


def test_promtool_unit_tests_of_the_alerts_pass(promtool: Path) -> None:
    assert RULE_TESTS
    result = run([str(promtool), "test", "rules", *map(str, RULE_TESTS)])
    assert result.returncode == 0, result.stdout
    assert "FAILED" not in result.stdout


def test_promtool_unit_tests_catch_a_changed_threshold(promtool: Path, tmp_path: Path) -> None:
    """Guards the test above: the same tests against a rule file with a loosened threshold must fail."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "rules" / "hotline-alerts.yml").write_text(
        RULES.read_text(encoding="utf-8").replace("(hotline_consumer_lag) > 1000", "(hotline_consumer_lag) > 2000"), encoding="utf-8"
    )
    for test in RULE_TESTS:
        (tmp_path / "tests" / test.name).write_text(test.read_text(encoding="utf-8"), encoding="utf-8")
    result = run([str(promtool), "test", "rules", *[str(tmp_path / "tests" / t.name) for t in RULE_TESTS]])
    assert result.returncode != 0
    assert "HotlineConsumerLagHigh" in result.stdout


def test_every_required_alert_exists_and_fires_in_a_unit_test() -> None:
    names = {a["alert"] for a in alerts()}
    assert REQUIRED_ALERTS <= names
    fired = set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            for check in case.get("alert_rule_test", []):
                if check.get("exp_alerts"):
                    fired.add(check["alertname"])
    assert names <= fired, f"alerts never seen firing in a test: {names - fired}"


def test_every_alert_has_severity_summary_and_a_runbook_section() -> None:
    runbook = (DEPLOY / "RUNBOOK.md").read_text(encoding="utf-8")
    anchors = {github_anchor(h) for h in re.findall(r"^#{2,3} (.+)$", runbook, flags=re.MULTILINE)}
    for alert in alerts():
        assert alert["labels"]["severity"] in {"critical", "warning"}
        assert alert["annotations"]["summary"] and alert["annotations"]["description"]
        url = alert["annotations"]["runbook_url"]
        path, _, anchor = url.partition("#")
        assert path == "deploy/RUNBOOK.md", url
        assert anchor in anchors, f"{alert['alert']}: no section #{anchor} in deploy/RUNBOOK.md"
