"""The one place that wires the Outage notice service: runtime, HTTP routes and Kafka subscribers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from outage_notice.settings import Settings
from servicekit.asyncapi import asyncapi_document
from servicekit.http import create_http_app
from servicekit.runtime import Runtime

TITLE = "95598 停电信息服务 / Outage notice"
DESCRIPTION = "停电信息报送、客户通知与来电答复。Outage information in, customers told, calls answered."


def create_app(settings: Settings, runtime: Runtime | None = None, *, start_dependencies: bool = True) -> FastAPI:
    runtime = runtime or Runtime.build(settings)
    return create_http_app(runtime, title=TITLE, description=DESCRIPTION, start_dependencies=start_dependencies)


def asyncapi(settings: Settings | None = None) -> dict[str, Any]:
    """The AsyncAPI document of this service's subscribers and publishers."""
    app = create_app(settings or Settings(), start_dependencies=False)
    runtime: Runtime = app.state.runtime
    return asyncapi_document(runtime.broker, title=TITLE, description=DESCRIPTION)
