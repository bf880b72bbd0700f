"""Paths and loaders the contracts tests share (a uniquely named module, not conftest)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
SCHEMAS_DIR = PACKAGE_ROOT / "schemas"
EXAMPLES_DIR = PACKAGE_ROOT / "examples"


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def example_files() -> list[Path]:
    return sorted(EXAMPLES_DIR.glob("*/*.json"))
