"""The Helm chart: lint, values schema, tier rules, and what the rendered manifests promise."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from deploykit import CHART, LINT_VALUES, SERVICES, SETTINGS_KEYS, TIERS, component, of_kind, run

pytestmark = pytest.mark.deploy


@pytest.mark.parametrize("values", LINT_VALUES)
def test_helm_lint_strict_passes(helm: Path, values: str) -> None:
    result = run([str(helm), "lint", "--strict", str(CHART), "-f", str(CHART / values)])
    assert result.returncode == 0, result.stdout
    assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize(
    "args, complaint",
    [
        (["--set", "unknownKey=1"], "Additional property unknownKey is not allowed"),
        (["--set-string", "services.intake.replicas=two"], "Invalid type"),
        (["--set", "services.intake.unknown=1"], "Additional property unknown is not allowed"),
        (["--set", "services.billing.enabled=true"], "Additional property billing is not allowed"),
        (["--set", "kafka.securityProtocol=TLS"], "kafka.securityProtocol"),
        (["--set", "tenancy.tier=region"], "tenancy.tier"),
        (["--set", "tenancy.tenant=37"], "Invalid type"),
        (["--set-string", "tenancy.hostedTenants[0]=Shandong"], "tenancy.hostedTenants"),
        (["--set-string", "serviceMonitor.enabled=yes"], "Invalid type"),
        (["--set", "mongo.dbPrefix=Hotline-DB"], "mongo.dbPrefix"),
    ],
)
def test_values_schema_refuses_bad_values(helm: Path, args: list[str], complaint: str) -> None:
    for verb in (["lint", "--strict", str(CHART)], ["template", "x", str(CHART)]):
        result = run([str(helm), *verb, *args])
        assert result.returncode != 0, f"{verb[0]} accepted {args}"
        assert complaint in result.stdout, result.stdout


@pytest.mark.parametrize(
    "values, args, complaint",
    [
        ("values-province.yaml", ["--set-string", "tenancy.tenant=3701"], "is not a province code"),
        ("values-city.yaml", ["--set-string", "tenancy.hostedTenants[1]=370202"], 'is not "3701" or below it'),
        ("values-city.yaml", ["--set-string", "tenancy.parent.tenant=36"], 'must be "37"'),
        ("values-city.yaml", ["--set-string", "tenancy.hostedTenants[0]=370102"], "must include the deployment's own tenant"),
        ("values-province.yaml", ["--set", "kafka.credentials.existingSecret="], "existingSecret is required"),
        ("values-city.yaml", ["--set", "services.intake.autoscaling.minReplicas=9"], "minReplicas is greater than maxReplicas"),
        ("values-city.yaml", ["--set", "provision.imageFrom=survey,services.survey.enabled=false"], "names a disabled service"),
    ],
)
def test_tier_rules_the_schema_cannot_express_fail_the_render(helm: Path, values: str, args: list[str], complaint: str) -> None:
    result = run([str(helm), "template", "x", str(CHART), "-f", str(CHART / values), *args])
    assert result.returncode != 0
    assert complaint in result.stdout, result.stdout


@pytest.mark.parametrize("tier", TIERS)
def test_every_kind_is_rendered_once_per_service(render, tier: str) -> None:
    docs = render(f"values-{tier}.yaml")
    for kind in ("Deployment", "Service", "ConfigMap", "NetworkPolicy", "ServiceMonitor"):
        names = sorted(component(d) for d in of_kind(docs, kind) if "grafana_dashboard" not in d["metadata"]["labels"])
        assert names == sorted(SERVICES), kind
    autoscaled = {n for n, s in yaml.safe_load((CHART / f"values-{tier}.yaml").read_text())["services"].items() if s["autoscaling"]["enabled"]}
    assert {component(d) for d in of_kind(docs, "HorizontalPodAutoscaler")} == autoscaled
    assert len(of_kind(docs, "PrometheusRule")) == 1


@pytest.mark.parametrize("tier", TIERS)
def test_deployments_probe_limit_and_lock_down_every_service(render, tier: str) -> None:
    for dep in of_kind(render(f"values-{tier}.yaml"), "Deployment"):
        name = component(dep)
        pod = dep["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["ports"] == [{"name": "http", "containerPort": SERVICES[name][1], "protocol": "TCP"}]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["resources"]["requests"] and container["resources"]["limits"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
        assert any(v["name"] == "tmp" and "emptyDir" in v for v in pod["volumes"])
        assert container["image"] == f"hotline/{name}:1.0.0"


@pytest.mark.parametrize("tier", TIERS)
def test_settings_use_exactly_the_documented_env_names(render, tier: str) -> None:
    docs = render(f"values-{tier}.yaml")
    values = yaml.safe_load((CHART / f"values-{tier}.yaml").read_text())
    config = {component(c): c["data"] for c in of_kind(docs, "ConfigMap") if "grafana_dashboard" not in c["metadata"]["labels"]}
    for dep in of_kind(docs, "Deployment"):
        name = component(dep)
        prefix = SERVICES[name][2]
        (container,) = dep["spec"]["template"]["spec"]["containers"]
        assert container["envFrom"] == [{"configMapRef": {"name": dep["metadata"]["name"]}}]
        data = config[name]
        secret_env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]}
        names = set(data) | set(secret_env)
        assert all(n.startswith(prefix) and n[len(prefix):] in SETTINGS_KEYS for n in names), names
        assert data[f"{prefix}HTTP_PORT"] == str(SERVICES[name][1])
        assert data[f"{prefix}HTTP_HOST"] == "0.0.0.0"
        assert data[f"{prefix}TIER"] == tier
        assert json.loads(data[f"{prefix}HOSTED_TENANTS"]) == values["tenancy"]["hostedTenants"]
        # credentials only ever come from the existing Secrets the values name
        assert not any(k in data for k in (f"{prefix}MONGO_URI", f"{prefix}KAFKA_SASL_USERNAME", f"{prefix}KAFKA_SASL_PASSWORD"))
        assert secret_env[f"{prefix}MONGO_URI"] == {"name": values["mongo"]["existingSecret"], "key": values["mongo"]["uriKey"]}
        assert secret_env[f"{prefix}KAFKA_SASL_PASSWORD"] == {
            "name": values["kafka"]["credentials"]["existingSecret"],
            "key": values["kafka"]["credentials"]["passwordKey"],
        }


def test_the_chart_contains_no_secret_object_or_value(render) -> None:
    docs = render("ci/all-features-values.yaml")
    assert not of_kind(docs, "Secret")
    text = yaml.safe_dump_all(docs)
    assert "mongodb://" not in text and "password:" not in text.lower().replace("passwordkey", "")


@pytest.mark.parametrize("tier", TIERS)
def test_provision_job_is_a_hook_running_devstack_provision_with_the_same_settings(render, tier: str) -> None:
    docs = render(f"values-{tier}.yaml")
    (job,) = of_kind(docs, "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["python", "-m", "devstack.provision"]
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}
    intake = next(c["data"] for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"].endswith("-intake"))
    for key, value in intake.items():
        assert env["HOTLINE_" + key.removeprefix("INTAKE_")] == value
    assert "secretKeyRef" in env["HOTLINE_MONGO_URI"]


def test_helm_test_pod_curls_every_enabled_services_readyz(render) -> None:
    docs = render("values-city.yaml", release="hotline-3701", namespace="hotline-3701")
    (pod,) = [d for d in of_kind(docs, "Pod") if d["metadata"]["annotations"].get("helm.sh/hook") == "test"]
    script = pod["spec"]["containers"][0]["args"][0]
    for name, (_, port, _) in SERVICES.items():
        assert "curl --fail" in script and f"http://hotline-3701-{name}:{port}/readyz" in script
    services = {d["metadata"]["name"]: d["spec"]["ports"][0]["port"] for d in of_kind(docs, "Service")}
    assert services == {f"hotline-3701-{n}": p for n, (_, p, _) in SERVICES.items()}
    minimal = render("ci/minimal-values.yaml")
    (pod,) = of_kind(minimal, "Pod")
    assert "/readyz" in pod["spec"]["containers"][0]["args"][0] and "dispatch" not in pod["spec"]["containers"][0]["args"][0]


def test_dashboards_are_packaged_as_sidecar_configmaps(render) -> None:
    docs = render("values-province.yaml")
    boards = [c for c in of_kind(docs, "ConfigMap") if c["metadata"]["labels"].get("grafana_dashboard") == "1"]
    files = sorted(p.name for p in (CHART / "dashboards").glob("*.json"))
    assert sorted(k for c in boards for k in c["data"]) == files
    for cm in boards:
        for key, text in cm["data"].items():
            assert json.loads(text) == json.loads((CHART / "dashboards" / key).read_text(encoding="utf-8"))


def test_prometheus_rule_wraps_the_shared_rule_file(render) -> None:
    source = yaml.safe_load((CHART / "rules" / "hotline-alerts.yml").read_text(encoding="utf-8"))
    (rule,) = of_kind(render("values-province.yaml"), "PrometheusRule")
    assert rule["spec"]["groups"] == source["groups"]
    (rule,) = of_kind(render("ci/all-features-values.yaml"), "PrometheusRule")
    urls = [r["annotations"]["runbook_url"] for g in rule["spec"]["groups"] for r in g["rules"]]
    assert urls and all(u.startswith("https://wiki.example.internal/hotline/RUNBOOK#hotline") for u in urls)


def test_service_monitor_keeps_the_services_own_labels(render) -> None:
    for sm in of_kind(render("values-county.yaml"), "ServiceMonitor"):
        (endpoint,) = sm["spec"]["endpoints"]
        assert endpoint["path"] == "/metrics" and endpoint["port"] == "http" and endpoint["honorLabels"] is True
        assert endpoint["relabelings"][0]["targetLabel"] == "service"


def test_network_policy_opens_only_the_http_port(render) -> None:
    for np in of_kind(render("values-province.yaml"), "NetworkPolicy"):
        assert np["spec"]["policyTypes"] == ["Ingress"]
        (rule,) = np["spec"]["ingress"]
        assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]
        assert {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "hotline", "app.kubernetes.io/instance": "hotline"}}} in rule["from"]


def test_tier_files_cover_every_tenant_once() -> None:
    hosted = []
    for tier in TIERS:
        values = yaml.safe_load((CHART / f"values-{tier}.yaml").read_text())
        assert values["tenancy"]["tier"] == tier
        hosted += values["tenancy"]["hostedTenants"]
    assert sorted(hosted) == sorted(["37", "3701", "3702", "3706", "370102", "370124", "370202", "370281", "370602", "370681"])


def test_every_values_key_has_a_comment() -> None:
    """A key is documented by a comment right above it; a key without one is a section whose children all are."""
    lines = (CHART / "values.yaml").read_text(encoding="utf-8").splitlines()
    nodes: list[dict] = []  # {indent, key, line, commented, children}
    stack: list[dict] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "- ")) or ":" not in stripped:
            continue
        indent = len(line) - len(line.lstrip())
        node = {"indent": indent, "key": stripped.split(":")[0], "line": i + 1,
                "commented": i > 0 and lines[i - 1].strip().startswith("#"), "children": []}
        while stack and stack[-1]["indent"] >= indent:
            stack.pop()
        (stack[-1]["children"] if stack else nodes).append(node)
        stack.append(node)

    def undocumented(node: dict) -> list[str]:
        if node["commented"]:
            return []
        if not node["children"]:
            return [f"{node['line']}: {node['key']}"]
        return [m for child in node["children"] for m in undocumented(child)]

    missing = [m for node in nodes for m in undocumented(node)]
    assert not missing, "values.yaml keys without a comment: " + ", ".join(missing)


@pytest.mark.parametrize("tier", TIERS)
def test_notes_render_and_name_every_service(helm: Path, tmp_path: Path, tier: str) -> None:
    """helm template skips NOTES.txt: render it through a copy of the chart that wraps it in a ConfigMap."""
    copy = tmp_path / "hotline"
    shutil.copytree(CHART, copy)
    notes = (copy / "templates" / "NOTES.txt").read_text(encoding="utf-8")
    (copy / "templates" / "_notes.tpl").write_text('{{- define "notes" -}}\n' + notes + "\n{{- end -}}\n", encoding="utf-8")
    (copy / "templates" / "notes-probe.yaml").write_text(
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: |\n{{ include "notes" . | indent 4 }}\n', encoding="utf-8"
    )
    release = f"hotline-{tier}"
    result = run([str(helm), "template", release, str(copy), "-n", release, "-f", str(CHART / f"values-{tier}.yaml"), "--show-only", "templates/notes-probe.yaml"])
    assert result.returncode == 0, result.stdout
    text = yaml.safe_load(result.stdout)["data"]["notes"]
    assert f"helm test {release} -n {release}" in text
    for name, (_, port, _) in SERVICES.items():
        assert f"http://{release}-{name}.{release}.svc:{port}" in text
    assert tier in text


# objects handed to Kubernetes as they are; the API server validates them
PASS_THROUGH = {"podSecurityContext", "securityContext", "affinity", "tolerations[]", "extraIngressFrom[]"}


def test_schema_closes_every_object_the_chart_defines() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    open_objects: list[str] = []

    def walk(node: dict, path: str) -> None:
        if "$ref" in node:
            return
        if node.get("type") == "object" or "properties" in node:
            if "properties" in node and node.get("additionalProperties") is not False:
                open_objects.append(path)
            if "properties" not in node and "additionalProperties" not in node and path.split(".")[-1] not in PASS_THROUGH:
                open_objects.append(path)
            for key, child in node.get("properties", {}).items():
                walk(child, f"{path}.{key}")
            if isinstance(node.get("additionalProperties"), dict):
                walk(node["additionalProperties"], f"{path}.*")
        if node.get("type") == "array" and isinstance(node.get("items"), dict):
            walk(node["items"], path + "[]")

    walk(schema, "$")
    for name, definition in schema["definitions"].items():
        walk(definition, f"#{name}")
    assert not open_objects, f"schema objects accepting unknown keys: {open_objects}"
