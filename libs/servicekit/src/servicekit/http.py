"""The HTTP shell every service shares: lifespan, correlation ids, metrics, health and bilingual errors."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit import correlation
from servicekit.audit import is_access_refusal, note_refusal
from servicekit.errors import AppError, invalid
from servicekit.i18n import field_errors
from servicekit.runtime import Runtime

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
_HTTP_ZH = {404: ("资源不存在", "not found"), 405: ("不支持该请求方法", "method not allowed"), 413: ("请求体过大", "request body too large")}


class ObservabilityMiddleware:
    """Binds the correlation id, refuses oversized bodies, and records request metrics by route template."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.metrics = runtime.metrics
        self.service = runtime.settings.service_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        token = correlation.bind(headers.get(b"x-correlation-id", b"").decode()[:128] or None)
        cid = correlation.current() or ""
        status = {"code": 500, "started": False}
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = True
                message.setdefault("headers", []).append((b"x-correlation-id", cid.encode()))
            await send(message)

        try:
            length = int(headers.get(b"content-length", b"0") or 0)
            if length > MAX_BODY_BYTES:
                response = _error_response(AppError(*_HTTP_ZH[413], code="body_too_large", status=413))
                await response(scope, receive, send_wrapper)
            else:
                await self.app(scope, receive, send_wrapper)
        except Exception:
            # Handled here, inside the correlation context, so the 500 still carries the id.
            log.exception("unhandled error")
            if not status["started"]:
                error = AppError("服务内部错误，请稍后重试", "internal error, please retry", code="internal", status=500)
                await _error_response(error)(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "GET")
            self.metrics.http_requests.labels(self.service, method, template, str(status["code"])).inc()
            self.metrics.http_duration.labels(self.service, method, template).observe(time.perf_counter() - started)
            correlation.reset(token)


def _error_response(error: AppError) -> JSONResponse:
    return JSONResponse(error.body(correlation.current()), status_code=error.status)


def install_error_handlers(app: FastAPI) -> None:
    async def on_app_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AppError)
        if is_access_refusal(exc):
            note_refusal(request, exc)  # every refused attempt lands in the audit log (best effort)
        return _error_response(exc)

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        error = invalid("请求参数校验失败", "request validation failed", code="validation_failed", fields=field_errors(list(exc.errors())))
        return _error_response(error)

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        zh, en = _HTTP_ZH.get(exc.status_code, ("请求无法处理", str(exc.detail)))
        return _error_response(AppError(zh, en, code=f"http_{exc.status_code}", status=exc.status_code))

    app.add_exception_handler(AppError, on_app_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)


def health_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(tags=["运维 operations"])

    @router.get("/healthz", summary="存活检查 / liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": runtime.settings.service_name}

    @router.get("/readyz", summary="就绪检查 / readiness (broker and database reachable)")
    async def readyz() -> JSONResponse:
        checks = await runtime.readiness()
        ready = all(checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    @router.get("/metrics", summary="Prometheus 指标 / metrics", response_class=PlainTextResponse)
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router


def create_http_app(
    runtime: Runtime,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    version: str = "1.0.0",
    start_dependencies: bool = True,
) -> FastAPI:
    """A FastAPI app whose lifespan starts the runtime in the background (so /healthz answers at once)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(runtime.start()) if start_dependencies else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            await runtime.audit.drain()
            await runtime.stop()

    # Metrics are Prometheus's (servicekit.metrics); FastAPI's own OpenTelemetry hooks would look up
    # providers and environment variables on every request for nothing.
    telemetry_off = {"tracing": False, "metrics": False, "logs": False}
    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan, telemetry=telemetry_off)
    app.state.runtime = runtime
    app.state.verifier = runtime.verifier
    runtime.audit.bind_metrics(runtime.metrics.registry)
    runtime.dead_letters.audit = runtime.audit  # events refused for an unhosted tenant are audited too
    install_error_handlers(app)
    app.add_middleware(ObservabilityMiddleware, runtime=runtime)
    app.include_router(health_router(runtime))
    for router in routers:
        app.include_router(router)
    return app
