"""What a request may send (请求体约束): at most 256 KB however it is framed, of a media type its endpoint reads.

The observability middleware (servicekit.http) refuses a declared `Content-Length` over the limit
before reading anything, counts the bytes of a body without one (chunked) and stops at the limit,
and answers 415 when an endpoint is sent a body of a media type it does not read: a JSON endpoint
takes application/json and application/*+json only (text/plain and form bodies are what a browser
may post cross-site without asking first); `Body(media_type="text/csv")` declares another."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fastapi import APIRouter, FastAPI, Request
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message, Receive, Scope

from servicekit.errors import AppError, validation_failed
from servicekit.i18n import field_errors

Body = TypeVar("Body", bound=BaseModel)

MAX_BODY_BYTES = 256 * 1024
JSON = "application/json"
# A refused body is not read to its end: the connection is closed after the answer (413, 415) instead.
CLOSE_CONNECTION = {"connection": "close"}


def body_too_large() -> AppError:
    return AppError("请求体过大", "request body too large", code="body_too_large", status=413)


def unsupported_media_type(accepted: Sequence[str] = (JSON,)) -> AppError:
    kinds = ", ".join(accepted)
    return AppError(f"不支持的请求体类型，请使用 {kinds}", f"unsupported media type: send the body as {kinds}",
                    code="unsupported_media_type", status=415)


class BodyTooLarge(StarletteHTTPException):
    """Raised by `LimitedReceive` past the limit; FastAPI's body reader lets HTTPExceptions through as they are."""

    def __init__(self) -> None:
        super().__init__(413)


class LimitedReceive:
    """The ASGI `receive` of a body without `Content-Length`: counts its bytes, raises `BodyTooLarge` past the limit."""

    __slots__ = ("left", "receive")

    def __init__(self, receive: Receive, limit: int = MAX_BODY_BYTES) -> None:
        self.receive = receive
        self.left = limit

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] == "http.request":
            self.left -= len(message.get("body", b""))
            if self.left < 0:
                raise BodyTooLarge()
        return message


def media_type(content_type: bytes) -> str:
    """The media type of a Content-Type value, without parameters, lower case."""
    return content_type.split(b";", 1)[0].strip().lower().decode("latin-1")


def is_json_media_type(content_type: bytes | None) -> bool:
    """application/json or application/*+json, parameters (charset) allowed."""
    if content_type == b"application/json":
        return True
    if not content_type:
        return False
    media = media_type(content_type)
    return media == JSON or (media.startswith("application/") and media.endswith("+json"))


def _accepted(route: APIRoute) -> frozenset[str]:
    """The media types a route reads its body as: a declared body's (JSON unless `Body(media_type=...)` says
    otherwise; forms need a package this platform does not install), those of a `body_spec` or other
    `openapi_extra` request body, and JSON for a `hot_path` endpoint (it reads its body with `read_body`)."""
    kinds = set((route.openapi_extra or {}).get("requestBody", {}).get("content", {}))
    if route.body_field is not None:
        kinds.add(getattr(route.body_field.field_info, "media_type", JSON))
    if getattr(route.endpoint, "__hot_path__", False):
        kinds.add(JSON)
    return frozenset(k.lower() for k in kinds)


class BodyEndpoints:
    """The routes that read a body and the media types each takes; consulted only for a body that is not JSON."""

    def __init__(self, routers: Sequence[APIRouter]) -> None:
        self.routes: list[tuple[APIRoute, frozenset[str], frozenset[str]]] = []  # route, its methods, its media types
        for router in routers:
            for route in router.routes:
                if not isinstance(route, APIRoute):
                    raise TypeError(f"create_http_app takes routers of API routes; include {route!r}'s routes directly")
                if accepted := _accepted(route):
                    self.routes.append((route, frozenset(route.methods or ()), accepted))

    def refusal(self, scope: Scope, path: str, content_type: bytes | None) -> AppError | None:
        """415 when the route `scope` asks for reads a body of other media types than `content_type`'s."""
        method = scope.get("method", "")
        for route, methods, accepted in self.routes:
            if method in methods and route.path_regex.match(path):
                if content_type and media_type(content_type) in accepted:
                    return None
                scope["route"] = route  # counted under its template
                return unsupported_media_type(sorted(accepted))
        return None


async def read_body(request: Request, model: type[Body]) -> Body:
    """The JSON body validated by `model`, refused with the same bilingual 422 as a declared body.

    For the hot endpoints only (order creation): declaring the body, the caller and a header as
    FastAPI parameters cost about a tenth of intake's CPU per order in the dependency solver
    (query, header and cookie parsing it does for every request). Declare `body_spec(model)` as the
    route's `openapi_extra` and pass the model to `create_http_app(body_models=...)`. Size and media
    type were checked by the middleware before the endpoint was called.
    """
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise validation_failed(field_errors(errors)) from None


def body_spec(model: type[BaseModel], headers: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """`openapi_extra` of a route that reads its body with `read_body` (and headers itself)."""
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}
    return {"requestBody": {"required": True, "content": content}, "parameters": [{"in": "header", **h} for h in headers]}


class FieldErrorDetail(BaseModel):
    loc: str
    message_zh: str
    message_en: str
    type: str


class ErrorDetail(BaseModel):
    code: str
    message_zh: str
    message_en: str
    fields: list[FieldErrorDetail]


class ErrorResponse(BaseModel):
    """错误响应: the body of every refusal, in Chinese and English."""

    error: ErrorDetail
    correlation_id: str | None


_ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
BODY_RESPONSES = {
    "413": {"description": f"请求体过大（上限 {MAX_BODY_BYTES // 1024} KB）/ body over {MAX_BODY_BYTES // 1024} KB",
            "content": _ERROR_CONTENT},
    "415": {"description": "请求体类型不受支持 / unsupported media type (JSON: application/json or application/*+json)",
            "content": _ERROR_CONTENT},
}


def document_bodies(app: FastAPI, models: Sequence[type[BaseModel]]) -> None:
    """OpenAPI: the models `body_spec` refers to (FastAPI adds only declared ones), and 413/415 on every operation with a body."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            documented: list[type[BaseModel]] = [*models, ErrorResponse]
            _, defs = models_json_schema([(m, "validation") for m in documented], ref_template="#/components/schemas/{model}")
            known = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, definition in defs.get("$defs", {}).items():
                known.setdefault(name, definition)
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    if isinstance(operation, dict) and "requestBody" in operation:
                        for status, response in BODY_RESPONSES.items():
                            operation.setdefault("responses", {}).setdefault(status, copy.deepcopy(response))
            return schema  # FastAPI keeps this same dict as app.openapi_schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
