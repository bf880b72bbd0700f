"""Paths, names and small helpers shared by the deploy tests (fixtures are in conftest.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
CHART = DEPLOY / "helm" / "hotline"
TOOLS_BIN = DEPLOY / "tools" / "bin"
VENV_BIN = REPO / ".venv" / "bin"
NODE_DIR = DEPLOY / "tools" / "node"
CRD_MODELS = NODE_DIR / "node_modules" / "@kubernetes-models" / "prometheus-operator"
ASYNCAPI_PARSER = NODE_DIR / "node_modules" / "@asyncapi" / "parser"

SERVICES = {  # name -> (module, port, env prefix), as in CONTRIBUTING.md
    "intake": ("intake", 8101, "INTAKE_"),
    "dispatch": ("dispatch", 8102, "DISPATCH_"),
    "outage-notice": ("outage_notice", 8103, "OUTAGE_NOTICE_"),
    "survey": ("survey", 8104, "SURVEY_"),
    "analytics": ("analytics", 8105, "ANALYTICS_"),
}
SETTINGS_KEYS = (
    "HTTP_HOST HTTP_PORT KAFKA_BOOTSTRAP_SERVERS KAFKA_SECURITY_PROTOCOL KAFKA_SASL_MECHANISM KAFKA_SASL_USERNAME "
    "KAFKA_SASL_PASSWORD KAFKA_FETCH_MAX_WAIT_MS MONGO_URI MONGO_DB_PREFIX TIER HOSTED_TENANTS AUTH_ISSUER "
    "AUTH_AUDIENCE AUTH_JWKS_URL AUTH_JWKS_PATH LOG_LEVEL"
).split()
TIERS = ("province", "city", "county")
LINT_VALUES = [f"values-{t}.yaml" for t in TIERS] + sorted(p.relative_to(CHART).as_posix() for p in (CHART / "ci").glob("*-values.yaml"))




def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Runs a tool, capturing its output (stdout and stderr together) as text."""
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300, **kwargs)  # type: ignore[call-overload]


def of_kind(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


def component(doc: dict) -> str:
    return doc["metadata"]["labels"]["app.kubernetes.io/component"]
