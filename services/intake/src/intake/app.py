"""The one place that wires the Intake service: runtime, HTTP routes and Kafka subscribers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from intake.settings import Settings
from servicekit.asyncapi import asyncapi_document
from servicekit.http import create_http_app
from servicekit.runtime import Runtime

TITLE = "95598 受理服务 / Intake"
DESCRIPTION = "客户诉求受理：各渠道来电来信统一生成工单。Every channel in, one work order out."


def create_app(settings: Settings, runtime: Runtime | None = None, *, start_dependencies: bool = True) -> FastAPI:
    runtime = runtime or Runtime.build(settings)
    return create_http_app(runtime, title=TITLE, description=DESCRIPTION, start_dependencies=start_dependencies)


def asyncapi(settings: Settings | None = None) -> dict[str, Any]:
    """The AsyncAPI document of this service's subscribers and publishers."""
    app = create_app(settings or Settings(), start_dependencies=False)
    runtime: Runtime = app.state.runtime
    return asyncapi_document(runtime.broker, title=TITLE, description=DESCRIPTION)
