"""One embedded stack for the whole e2e session, started by the same command a user runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.stack import READY_LINE, RunningStack, launch

E2E_PORT_OFFSET = 20000


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    # Offset ports so the tests never collide with a developer's own `./dev up` on the defaults.
    # The time-limit scanner every 2 s instead of 30 s: tests watch warnings and breaches of short limits.
    running = launch(tmp_path_factory.mktemp("stack"), "--customers", "10000", offset=E2E_PORT_OFFSET,
                     env={"DISPATCH_SCAN_INTERVAL_SECONDS": "2"})
    try:
        if not running.wait_for(READY_LINE, timeout=240):
            pytest.fail("stack did not become ready:\n" + running.output()[-4000:])
        yield running
    finally:
        running.interrupt()
