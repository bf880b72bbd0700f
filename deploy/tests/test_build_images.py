"""deploy/build-images.sh: one `docker build` of the root Dockerfile per service, tagged as the chart
expects (REGISTRY/hotline/<service>:TAG). Checked through --dry-run, which prints the commands."""

from __future__ import annotations

import shlex
import subprocess

import pytest
import yaml

from deploykit import CHART, DEPLOY, REPO, SERVICES

pytestmark = pytest.mark.deploy

SCRIPT = DEPLOY / "build-images.sh"


def dry_run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), "--dry-run", *args], capture_output=True, text=True, timeout=30)


def test_builds_every_service_from_the_one_dockerfile_with_the_charts_repositories() -> None:
    result = dry_run("registry.example.internal/sgcc/", "1.0.0")
    assert result.returncode == 0, result.stderr
    commands = [shlex.split(line) for line in result.stdout.splitlines()]
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    expected = [
        ["docker", "build", "--build-arg", f"SERVICE={name}", "--tag",
         f"registry.example.internal/sgcc/{values['services'][name]['repository']}:1.0.0",
         "--file", str(REPO / "Dockerfile"), str(REPO)]
        for name in sorted(SERVICES)
    ]
    assert commands == expected


def test_push_follows_each_build_and_an_empty_registry_leaves_the_repository_as_written() -> None:
    result = dry_run("--push", "", "2.0.0")
    assert result.returncode == 0, result.stderr
    lines = [shlex.split(line) for line in result.stdout.splitlines()]
    assert [line[:2] for line in lines] == [["docker", "build"], ["docker", "push"]] * len(SERVICES)
    assert [line[2] for line in lines if line[1] == "push"] == [f"hotline/{name}:2.0.0" for name in sorted(SERVICES)]


@pytest.mark.parametrize("args", [(), ("only-registry",), ("r", "not a tag"), ("--frobnicate", "r", "t")])
def test_bad_arguments_are_refused_with_the_usage(args: tuple[str, ...]) -> None:
    result = dry_run(*args)
    assert result.returncode == 2 and result.stdout == ""
    assert "usage: deploy/build-images.sh" in result.stderr or "not a valid image tag" in result.stderr
