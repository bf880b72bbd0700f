"""The one Dockerfile (build argument SERVICE) and .dockerignore, parsed with BuildKit's own parser
(PyPI `dockerfile`). No Docker engine runs here, so the images are not built by these tests: they
check what the Dockerfile says for every service, that the build context holds what it copies, and
what the image's two commands (written by deploy/image/entrypoints.py at build time) do."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from deploykit import REPO, SERVICES

pytestmark = pytest.mark.deploy

try:
    import dockerfile
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("PyPI dockerfile is not installed: run deploy/tools/install-tools.sh", allow_module_level=True)

DOCKERFILE = REPO / "Dockerfile"
ENTRYPOINTS = REPO / "deploy" / "image" / "entrypoints.py"


def instructions() -> list:
    return list(dockerfile.parse_file(str(DOCKERFILE)))


def stages() -> list[list]:
    out: list[list] = []
    for ins in instructions():
        if ins.cmd == "FROM":
            out.append([])
        if out:
            out[-1].append(ins)
    return out


def with_service(text: str, name: str) -> str:
    """What BuildKit makes of `${SERVICE}` / `$SERVICE` when built with --build-arg SERVICE=name."""
    return re.sub(r"\$\{SERVICE\}|\$SERVICE\b", name, text)


def dockerignore_excludes(path: str) -> bool:
    """Docker's rules: last matching pattern wins, `!` re-includes, a pattern matching a parent directory matches."""
    excluded = False
    for raw in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line[1:] if negate else line
        regex = re.escape(pattern.strip("/")).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        parts = path.split("/")
        if any(re.fullmatch(regex, "/".join(parts[: i + 1])) for i in range(len(parts))):
            excluded = not negate
    return excluded


def test_one_dockerfile_serves_every_service() -> None:
    assert DOCKERFILE.is_file()
    assert sorted(REPO.glob("services/*/Dockerfile")) == [], "a service Dockerfile next to the shared one"
    assert {p.parent.name for p in REPO.glob("services/*/pyproject.toml")} == set(SERVICES)
    for stage in stages():
        assert [i.value for i in stage if i.cmd == "ARG"] == [("SERVICE",)], "each stage declares SERVICE (no default)"
    guard = next(i for i in stages()[0] if i.cmd == "RUN")  # the first thing the build does
    assert 'test -n "${SERVICE}"' in guard.value[0] and "exit 1" in guard.value[0]


def test_dockerfile_is_multi_stage_with_a_copied_venv() -> None:
    builder, runtime = stages()
    assert builder[0].value[-2:] == ("AS", "builder") and runtime[0].value[-2:] == ("AS", "runtime")
    runs = " ".join(i.value[0] for i in builder if i.cmd == "RUN")
    assert "pip wheel" in runs and "-c constraints.txt" in runs
    assert "--no-index --find-links /wheels" in runs
    assert "pip install -e" not in runs  # the runtime gets real installs, not links into /src
    assert 'python deploy/image/entrypoints.py "${SERVICE}"' in runs  # written into /opt/venv/bin
    copies = [i for i in runtime if i.cmd == "COPY"]
    assert [(c.flags, c.value) for c in copies] == [(("--from=builder",), ("/opt/venv", "/opt/venv"))]


@pytest.mark.parametrize("name", SERVICES)
def test_the_build_installs_the_named_service(name: str) -> None:
    runs = with_service(" ".join(i.value[0] for i in stages()[0] if i.cmd == "RUN"), name)
    assert f'"services/{name}"' in runs and f'pip install --no-index --find-links /wheels -c constraints.txt "hotline-{name}"' in runs
    pyproject = (REPO / "services" / name / "pyproject.toml").read_text(encoding="utf-8")
    assert f'name = "hotline-{name}"' in pyproject


def test_runtime_runs_the_service_as_a_non_root_user() -> None:
    runtime = stages()[-1]
    by_cmd = {i.cmd: i for i in runtime}
    user = by_cmd["USER"].value[0].split(":")[0]
    assert user not in {"0", "root"} and int(user) >= 1000
    assert by_cmd["CMD"].json and by_cmd["CMD"].value == ("hotline-serve",)
    health = by_cmd["HEALTHCHECK"]
    assert health.value == ("CMD", "hotline-healthcheck")
    env = " ".join(" ".join(i.value) for i in runtime if i.cmd == "ENV")
    assert "PATH /opt/venv/bin:$PATH" in env


@pytest.mark.parametrize("name", SERVICES)
def test_everything_the_dockerfile_copies_is_in_the_build_context(name: str) -> None:
    builder = stages()[0]
    sources = [with_service(c.value[0], name) for c in builder if c.cmd == "COPY" and not c.flags]
    expected = {"constraints.txt", "libs/contracts", "libs/servicekit", "libs/devstack", f"services/{name}", "deploy/image"}
    assert set(sources) == expected
    for source in sources:
        path = REPO / source
        assert path.exists(), source
        assert not dockerignore_excludes(source), source
        for needed in [path] if path.is_file() else [*path.glob("pyproject.toml"), *path.glob("**/*.py")]:
            if "__pycache__" not in needed.parts and "tests" not in needed.relative_to(path).parts:
                assert not dockerignore_excludes(needed.relative_to(REPO).as_posix()), needed
    module_dir = REPO / "services" / name / "src" / SERVICES[name][0]
    assert (module_dir / "__main__.py").is_file()


@pytest.mark.parametrize("name", SERVICES)
def test_the_images_commands_serve_the_service_on_every_interface_and_probe_its_port(name: str, tmp_path: Path) -> None:
    """entrypoints.py as the build runs it (this venv has every service installed), then its output run."""
    module, port, prefix = SERVICES[name]
    result = subprocess.run([sys.executable, str(ENTRYPOINTS), name, "--bin", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    serve, health = tmp_path / "hotline-serve", tmp_path / "hotline-healthcheck"
    assert os.access(serve, os.X_OK) and os.access(health, os.X_OK)
    # hotline-serve, with python swapped for a stub that prints what it was given
    stub = tmp_path / "python-stub"
    stub.write_text(f'#!/bin/sh\necho "$@"\necho "host=${{{prefix}HTTP_HOST}}"\n', encoding="utf-8")
    stub.chmod(0o755)
    script = serve.read_text(encoding="utf-8").replace(sys.executable, str(stub))
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefix)}
    ran = subprocess.run(["sh", "-c", script, "hotline-serve"], capture_output=True, text=True, env=env)
    assert ran.stdout.splitlines() == [f"-m {module}", "host=0.0.0.0"]  # the settings default, 127.0.0.1, is unreachable
    ran = subprocess.run(["sh", "-c", script, "hotline-serve"], capture_output=True, text=True, env=env | {f"{prefix}HTTP_HOST": "10.0.0.5"})
    assert ran.stdout.splitlines()[1] == "host=10.0.0.5"
    # hotline-healthcheck probes /healthz on the service's port, or the one its environment names
    text = health.read_text(encoding="utf-8")
    assert text.startswith(f"#!{sys.executable}\n") and "/healthz" in text
    assert f'os.environ.get("{prefix}HTTP_PORT", "{port}")' in text
    assert subprocess.run([str(health)], capture_output=True, env=env | {f"{prefix}HTTP_PORT": "1"}).returncode != 0


def test_dockerignore_keeps_the_context_small() -> None:
    for heavy in (".venv/bin/python", ".git/HEAD", "services/intake/tests/unit/test_x.py", "deploy/helm/hotline/Chart.yaml",
                  "deploy/tests/test_dockerfiles.py", "libs/servicekit/src/servicekit/__pycache__/x.pyc", ".devstack/jwks.json"):
        assert dockerignore_excludes(heavy), heavy
