"""Service Dockerfiles and .dockerignore, parsed with BuildKit's own parser (PyPI `dockerfile`).
No Docker engine runs here, so the images are not built by these tests: they check what the
Dockerfiles say and that the build context holds what they copy."""

from __future__ import annotations

import os
import re

import pytest

from deploykit import REPO, SERVICES

pytestmark = pytest.mark.deploy

try:
    import dockerfile
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("PyPI dockerfile is not installed: run deploy/tools/install-tools.sh", allow_module_level=True)


def instructions(name: str) -> list:
    return list(dockerfile.parse_file(str(REPO / "services" / name / "Dockerfile")))


def stages(name: str) -> list[list]:
    out: list[list] = []
    for ins in instructions(name):
        if ins.cmd == "FROM":
            out.append([])
        if out:
            out[-1].append(ins)
    return out


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


@pytest.mark.parametrize("name", SERVICES)
def test_dockerfile_is_multi_stage_with_a_copied_venv(name: str) -> None:
    builder, runtime = stages(name)
    assert builder[0].value[-2:] == ("AS", "builder") and runtime[0].value[-2:] == ("AS", "runtime")
    runs = " ".join(i.value[0] for i in builder if i.cmd == "RUN")
    assert "pip wheel" in runs and "-c constraints.txt" in runs
    assert "--no-index --find-links /wheels" in runs
    assert "pip install -e" not in runs  # the runtime gets real installs, not links into /src
    copies = [i for i in runtime if i.cmd == "COPY"]
    assert [(c.flags, c.value) for c in copies] == [(("--from=builder",), ("/opt/venv", "/opt/venv"))]


@pytest.mark.parametrize("name", SERVICES)
def test_runtime_runs_the_module_as_a_non_root_user(name: str) -> None:
    module, port, prefix = SERVICES[name]
    runtime = stages(name)[-1]
    by_cmd = {i.cmd: i for i in runtime}
    user = by_cmd["USER"].value[0].split(":")[0]
    assert user not in {"0", "root"} and int(user) >= 1000
    assert by_cmd["EXPOSE"].value == (str(port),)
    assert by_cmd["CMD"].json and by_cmd["CMD"].value == ("python", "-m", module)
    health = by_cmd["HEALTHCHECK"]
    assert health.value[0] == "CMD" and "/healthz" in " ".join(health.value) and f"{prefix}HTTP_PORT" in " ".join(health.value)
    env = " ".join(" ".join(i.value) for i in runtime if i.cmd == "ENV")
    assert f"{prefix}HTTP_HOST 0.0.0.0" in env  # the settings default is 127.0.0.1, unreachable from outside a container


@pytest.mark.parametrize("name", SERVICES)
def test_everything_the_dockerfile_copies_is_in_the_build_context(name: str) -> None:
    builder = stages(name)[0]
    sources = [c.value[0] for c in builder if c.cmd == "COPY" and not c.flags]
    assert set(sources) == {"constraints.txt", "libs/contracts", "libs/servicekit", "libs/devstack", f"services/{name}"}
    for source in sources:
        path = REPO / source
        assert path.exists(), source
        assert not dockerignore_excludes(source), source
        for needed in [path] if path.is_file() else [path / "pyproject.toml", *path.glob("src/**/*.py")]:
            assert not dockerignore_excludes(needed.relative_to(REPO).as_posix()), needed
    module_dir = REPO / "services" / name / "src" / SERVICES[name][0]
    assert (module_dir / "__main__.py").is_file()


def test_dockerignore_keeps_the_context_small() -> None:
    for heavy in (".venv/bin/python", ".git/HEAD", "services/intake/tests/unit/test_x.py", "deploy/helm/hotline/Chart.yaml",
                  "libs/servicekit/src/servicekit/__pycache__/x.pyc", ".devstack/jwks.json"):
        assert dockerignore_excludes(heavy), heavy
