"""`./dev contracts`: regenerate the event JSON Schemas and each service's AsyncAPI document."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from devstack.services import SERVICES
from servicekit.asyncapi import render

ROOT = Path(__file__).resolve().parents[4]


def asyncapi_path(service_dir: str) -> Path:
    return ROOT / "services" / service_dir / "asyncapi.json"


def rendered_asyncapi(module: str) -> str:
    app_module = importlib.import_module(f"{module}.app")
    return render(app_module.asyncapi())


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale: list[str] = []
    for svc in SERVICES:
        path = asyncapi_path(svc.name)
        text = rendered_asyncapi(svc.module)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(str(path.relative_to(ROOT)))
        if not check:
            path.write_text(text, encoding="utf-8")
    from hotline_contracts import codegen

    schema_status = codegen.main(["--check"] if check else [])
    if check and (stale or schema_status):
        print("stale: " + ", ".join(stale), file=sys.stderr)
        return 1
    print(f"asyncapi: {len(stale)} written" if not check else "up to date")
    return 0
