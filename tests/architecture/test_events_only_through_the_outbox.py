"""No use case publishes: every event a service sends is stored with its state and sent by the outbox relay.

A service that called the broker itself would lose the event when it crashed between its write and
its send (and a redelivery would find the state stored and send nothing). So the only code that may
hand a message to the broker is the kit's relay (`servicekit.outbox`) and its dead-letter publisher
(`servicekit.kafka`: a refused message is not state). This test reads the source: it fails on any
call of a `publish` method or function, or any reference to the broker's publisher, in a service.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted((ROOT / "services").glob("*/src/*"))
KIT = ROOT / "libs" / "servicekit" / "src" / "servicekit"
KIT_SENDERS = {"outbox.py", "kafka.py", "deadletters.py", "runtime.py"}  # the relay, dead letters, and the runtime that wires them
FORBIDDEN_NAMES = {"EventPublisher", "broker_sender", "publisher"}


def violations(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        where = f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in ("publish", "publish_batch", "send_and_wait"):
                found.append(f"{where}: calls {name}()")
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_NAMES:
            found.append(f"{where}: uses .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            found.append(f"{where}: uses {node.id}")
        elif isinstance(node, ast.ImportFrom):
            names = {a.name for a in node.names} & (FORBIDDEN_NAMES | {"AIOKafkaProducer"})
            if names:
                found.append(f"{where}: imports {', '.join(sorted(names))}")
    return found


@pytest.mark.parametrize("package", SERVICES, ids=lambda p: p.name)
def test_no_service_code_reaches_the_broker_except_through_its_unit_of_work(package: Path) -> None:
    found = [v for path in sorted(package.rglob("*.py")) for v in violations(path)]
    assert not found, "events must be recorded on the unit of work and committed, not published:\n" + "\n".join(found)


def test_in_the_kit_only_the_relay_and_dead_letters_send() -> None:
    found = [v for path in sorted(KIT.rglob("*.py")) if path.name not in KIT_SENDERS for v in violations(path)]
    assert not found, "\n".join(found)


def test_the_check_sees_a_direct_publish(tmp_path: Path) -> None:
    """The scan is not vacuous: the shape use cases used to have is caught."""
    sample = tmp_path / "service.py"
    sample.write_text(
        "from servicekit.kafka import EventPublisher\n"
        "async def act(deps, runtime, order, event):\n"
        "    await deps.orders.save(order)\n"
        "    await deps.publish(event)\n"
        "    await runtime.publisher.publish(event)\n"
    )
    assert len(violations(sample, tmp_path)) == 4  # the import, two calls and the publisher attribute
