"""Every rendered manifest is valid Kubernetes: built-in kinds against the API schemas
(kubernetes-validate --strict, which also rejects unknown fields), the prometheus-operator kinds
against the validators generated from their CRD schemas (types and required fields; those
schemas do not forbid unknown fields, so that is checked here by comparing with known keys)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from deploykit import LINT_VALUES, run

pytestmark = pytest.mark.deploy

# the oldest version the chart supports (Chart.yaml kubeVersion) and the newest kubernetes-validate knows
KUBE_VERSIONS = ("1.25.0", "1.37.0")
CRD_GROUP = "monitoring.coreos.com/"

# fields the chart sets on its custom resources; each must exist in the operator's API
SERVICE_MONITOR_ENDPOINT_KEYS = {"port", "path", "interval", "scrapeTimeout", "honorLabels", "relabelings"}
RELABEL_KEYS = {"sourceLabels", "targetLabel", "action", "replacement", "regex", "separator", "modulus"}
RULE_KEYS = {"alert", "record", "expr", "for", "labels", "annotations", "keep_firing_for"}


@pytest.mark.parametrize("values", LINT_VALUES)
@pytest.mark.parametrize("kube", KUBE_VERSIONS)
def test_builtin_kinds_pass_kubernetes_validate_strict(render, kubernetes_validate: Path, tmp_path: Path, values: str, kube: str) -> None:
    docs = [d for d in render(values) if not d["apiVersion"].startswith(CRD_GROUP)]
    assert docs
    path = tmp_path / "manifests.yaml"
    path.write_text(yaml.safe_dump_all(docs), encoding="utf-8")
    result = run([str(kubernetes_validate), "--strict", "--kubernetes-version", kube, str(path)])
    assert result.returncode == 0, result.stdout
    passed = result.stdout.count(" passed for resource ")
    assert passed == len(docs), result.stdout
    assert "WARN" not in result.stdout and "ERROR" not in result.stdout, result.stdout


def test_kubernetes_validate_does_reject_a_broken_manifest(render, kubernetes_validate: Path, tmp_path: Path) -> None:
    """Guards the test above: an unknown field and a wrong type must fail."""
    deployment = next(d for d in render("values-city.yaml") if d["kind"] == "Deployment")
    for field, value, complaint in (("pathh", "/healthz", "pathh"), ("port", ["http"], "is not valid under any of the given schemas")):
        bad = yaml.safe_load(yaml.safe_dump(deployment))
        bad["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"][field] = value
        path = tmp_path / "bad.yaml"
        path.write_text(yaml.safe_dump(bad), encoding="utf-8")
        result = run([str(kubernetes_validate), "--strict", "--kubernetes-version", KUBE_VERSIONS[-1], str(path)])
        assert result.returncode != 0, field
        assert complaint in result.stdout, result.stdout


@pytest.mark.parametrize("values", ["values-province.yaml", "ci/all-features-values.yaml"])
def test_custom_resources_pass_their_crd_schemas(render, crd_validator, tmp_path: Path, values: str) -> None:
    docs = [d for d in render(values) if d["apiVersion"].startswith(CRD_GROUP)]
    assert {d["kind"] for d in docs} == {"ServiceMonitor", "PrometheusRule"}
    result = crd_validator(docs, tmp_path)
    assert result.returncode == 0, result.stdout
    assert result.stdout.count("ok ") == len(docs), result.stdout
    for doc in docs:
        if doc["kind"] == "ServiceMonitor":
            for endpoint in doc["spec"]["endpoints"]:
                assert set(endpoint) <= SERVICE_MONITOR_ENDPOINT_KEYS
                assert all(set(r) <= RELABEL_KEYS for r in endpoint["relabelings"])
        else:
            assert all(set(r) <= RULE_KEYS for g in doc["spec"]["groups"] for r in g["rules"])


def test_crd_validator_does_reject_a_broken_custom_resource(render, crd_validator, tmp_path: Path) -> None:
    docs = [d for d in render("values-county.yaml") if d["apiVersion"].startswith(CRD_GROUP)]
    monitor = next(d for d in docs if d["kind"] == "ServiceMonitor")
    rule = next(d for d in docs if d["kind"] == "PrometheusRule")
    monitor["spec"]["endpoints"][0]["honorLabels"] = "yes"
    del rule["spec"]["groups"][0]["rules"][0]["expr"]
    result = crd_validator([monitor, rule], tmp_path)
    assert result.returncode != 0
    assert "honorLabels must be boolean" in result.stdout
    assert "must have required property 'expr'" in result.stdout or "required property expr" in result.stdout, result.stdout
