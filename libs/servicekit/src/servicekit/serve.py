"""Running a service process: JSON logs first, then uvicorn on the configured host and port."""

from __future__ import annotations

from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from servicekit.logs import configure_logging
from servicekit.settings import ServiceSettings


def run(create_app: Callable[[ServiceSettings], FastAPI], settings: ServiceSettings) -> None:
    configure_logging(settings.service_name, settings.log_level)
    app = create_app(settings)
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_config=None, access_log=False, lifespan="on")
