"""Which registered events a service's package constructs: the check on its `PUBLISHES` declaration.

A service builds an event's payload (`TicketCreatedV1(...)`) only to publish it, so every payload class
called anywhere in its source must be a topic its AsyncAPI document lists. `Model.model_validate(...)`
is parsing (intake reads customer records from CSV that way), not publishing, and is not counted.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from hotline_contracts.events import ALL_EVENTS

TOPIC_OF_CLASS = {model.__name__: model.topic() for model in ALL_EVENTS}


def package_dir(module: str) -> Path:
    """The source folder of an importable package, e.g. `dispatch` → services/dispatch/src/dispatch."""
    return Path(importlib.import_module(module).__file__ or "").resolve().parent


def constructed_events(root: Path) -> dict[str, list[str]]:
    """Topic → `file:line` of every call in `root`'s Python files that constructs that topic's payload class."""
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        imports = [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        aliases = {a.asname: a.name for node in imports for a in node.names if a.asname}
        for node in ast.walk(tree):
            name = _called_name(node)
            topic = TOPIC_OF_CLASS.get(aliases.get(name, name)) if name else None
            if topic is not None:
                found.setdefault(topic, []).append(f"{path.relative_to(root.parent)}:{node.lineno}")  # type: ignore[attr-defined]
    return found


def _called_name(node: ast.AST) -> str | None:
    """`X` for a call `X(...)` or `module.X(...)`; None for anything else."""
    if not isinstance(node, ast.Call):
        return None
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None
