"""The one place that wires the Analytics and reports service: runtime, HTTP routes and Kafka subscribers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from analytics.settings import Settings
from servicekit.asyncapi import asyncapi_document
from servicekit.http import create_http_app
from servicekit.runtime import Runtime

TITLE = "95598 统计报表服务 / Analytics and reports"
DESCRIPTION = "日报、周报、月报逐级汇总。Daily, weekly and monthly reports rolled up county → city → province."


def create_app(settings: Settings, runtime: Runtime | None = None, *, start_dependencies: bool = True) -> FastAPI:
    runtime = runtime or Runtime.build(settings)
    return create_http_app(runtime, title=TITLE, description=DESCRIPTION, start_dependencies=start_dependencies)


def asyncapi(settings: Settings | None = None) -> dict[str, Any]:
    """The AsyncAPI document of this service's subscribers and publishers."""
    app = create_app(settings or Settings(), start_dependencies=False)
    runtime: Runtime = app.state.runtime
    return asyncapi_document(runtime.broker, title=TITLE, description=DESCRIPTION)
