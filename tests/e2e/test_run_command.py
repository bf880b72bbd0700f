"""The README's run command: every service ready, seeded demo data, a clear message for a taken port."""

from __future__ import annotations

import re

import httpx
import pytest

from devstack import processes
from devstack.services import SERVICES
from devstack.up import READY_BUDGET_SECONDS
from tests.e2e.stack import launch

pytestmark = pytest.mark.e2e


def test_every_service_is_ready_and_documents_its_api(stack):
    for name, url in stack.urls.items():
        ready = httpx.get(f"{url}/readyz", timeout=5)
        assert ready.status_code == 200, (name, ready.text)
        assert ready.json()["checks"] == {"startup": True, "kafka": True, "mongodb": True}
        assert httpx.get(f"{url}/openapi.json", timeout=5).json()["info"]["title"].startswith("95598")
        assert "hotline_http_requests_total" in httpx.get(f"{url}/metrics", timeout=5).text
        assert f"{url}/docs" in stack.output()


def test_start_up_reports_seeding_progress(stack):
    out = stack.output()
    assert "customers" in out and "10000/10000" in out.replace(",", ""), out[-2000:]


def test_every_service_is_ready_within_its_budget_of_its_process_starting(stack):
    # The launcher watches each /readyz from the moment it spawns the process (while seeding runs).
    out = stack.output()
    took = {name: float(s) for name, s in re.findall(r"^\s+(\S+)\s+就绪 ready in\s+([\d.]+)s", out, re.MULTILINE)}
    assert set(took) == {s.name for s in SERVICES}, out[-3000:]
    slow = {name: s for name, s in took.items() if s > READY_BUDGET_SECONDS}
    assert slow == {}, f"over the {READY_BUDGET_SECONDS}s start-up budget: {slow}\n{out[-3000:]}"


def test_a_taken_port_is_named_in_a_clear_message(stack, tmp_path):
    # The session's stack holds its ports; a second launcher on the same ports must refuse and name them.
    second = launch(tmp_path / "second", offset=stack.offset)
    code = second.popen.wait(60)
    assert code == 2
    assert str(stack.ports[0]) in second.output() and "端口已被占用" in second.output()


def test_ctrl_c_stops_every_process_it_started(tmp_path):
    own = launch(tmp_path / "own", "--no-seed", offset=21000)
    assert own.wait_for("all ready in", timeout=180), own.output()[-3000:]
    assert all(processes.port_open(p) for p in own.ports)
    assert own.interrupt() == 0
    assert "已停止 / stopped" in own.output()
    still_open = [p for p in own.ports if processes.port_open(p)]
    assert still_open == []
