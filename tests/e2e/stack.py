"""Drives the real `./dev up` launcher (python -m devstack up) as a user would, from a scratch folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from devstack.devtoken import issue_token
from devstack.services import SERVICES

READY_LINE = "all ready in"


@dataclass
class RunningStack:
    """The launcher process, its output so far, and how to reach and call its services."""

    workdir: Path
    popen: subprocess.Popen[str]
    offset: int = 0
    lines: list[str] = field(default_factory=list)

    @property
    def urls(self) -> dict[str, str]:
        return {s.name: f"http://127.0.0.1:{s.port + self.offset}" for s in SERVICES}

    @property
    def ports(self) -> list[int]:
        return [9092 + self.offset, 27017 + self.offset] + [s.port + self.offset for s in SERVICES]

    def output(self) -> str:
        return "\n".join(self.lines)

    def token(self, tenant: str, roles: list[str], subject: str | None = None, **kwargs: object) -> str:
        key = self.workdir / ".devstack" / "dev-issuer-key.pem"
        return issue_token(key, subject=subject or f"e2e-{tenant}", tenant=tenant, roles=roles, **kwargs)  # type: ignore[arg-type]

    def wait_for(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return True
            if self.popen.poll() is not None:
                time.sleep(0.2)
                return any(text in line for line in self.lines)
            time.sleep(0.2)
        return False

    def interrupt(self, timeout: float = 60.0) -> int:
        """Ctrl-C, as a user would press it; returns the exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
        return self.popen.wait(timeout)


def launch(workdir: Path, *args: str, offset: int = 0, env: dict[str, str] | None = None) -> RunningStack:
    workdir.mkdir(parents=True, exist_ok=True)
    popen = subprocess.Popen(
        [sys.executable, "-u", "-m", "devstack", "up", "--port-offset", str(offset), *args],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env=dict(os.environ) | (env or {}),
    )
    stack = RunningStack(workdir, popen, offset)

    def pump() -> None:
        assert popen.stdout is not None
        for line in popen.stdout:
            stack.lines.append(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    return stack
