"""The habits `./dev test` keeps: ruff, mypy (strict on the libraries and every domain) and the import contracts.

Each tool runs from the same environment as pytest, with its configuration in the root `pyproject.toml`,
and the test fails with the tool's own report on any finding.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the .venv's bin folder; not resolved, a venv's python is a symlink

pytestmark = [pytest.mark.unit, pytest.mark.lint]


def run(argv: list[str]) -> None:
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout}{result.stderr}", pytrace=False)


def test_ruff_finds_nothing() -> None:
    run([str(BIN / "ruff"), "check", "--no-fix", "--output-format", "concise"])


def test_mypy_strict_finds_nothing_in_the_libraries_and_domains() -> None:
    # Which packages, how strictly and where the cache lives (.mypy_cache/) come from [tool.mypy].
    run([sys.executable, "-m", "mypy"])


def test_import_contracts_are_kept() -> None:
    # Domain free of frameworks and adapters, services independent, libraries importing no service: [tool.importlinter].
    run([str(BIN / "lint-imports"), "--no-cache"])
