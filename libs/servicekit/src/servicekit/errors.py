"""Errors users see: a status, a stable code, a Chinese and an English message, per-field details."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One field's problem, e.g. loc ``body.phone``."""

    loc: str
    message_zh: str
    message_en: str
    type: str = "invalid"

    def as_dict(self) -> dict[str, str]:
        return {"loc": self.loc, "message_zh": self.message_zh, "message_en": self.message_en, "type": self.type}


@dataclass
class AppError(Exception):
    """Base of every error a use case raises on purpose; mapped to HTTP by `http_errors`."""

    message_zh: str
    message_en: str
    code: str = "bad_request"
    fields: list[FieldError] = field(default_factory=list)
    status: int = 400

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}"

    def body(self, correlation_id: str | None) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message_zh": self.message_zh,
                "message_en": self.message_en,
                "fields": [f.as_dict() for f in self.fields],
            },
            "correlation_id": correlation_id,
        }


def invalid(message_zh: str, message_en: str, *, code: str = "invalid", fields: list[FieldError] | None = None) -> AppError:
    return AppError(message_zh, message_en, code=code, fields=fields or [], status=422)


def validation_failed(fields: list[FieldError]) -> AppError:
    """The 422 of a request whose fields did not validate (declared by FastAPI or read by the endpoint)."""
    return invalid("请求参数校验失败", "request validation failed", code="validation_failed", fields=fields)


def not_found(what_zh: str, what_en: str) -> AppError:
    """404 that never says whether the thing exists elsewhere (no leaks across tenants)."""
    return AppError(f"{what_zh}不存在", f"{what_en} not found", code="not_found", status=404)


def conflict(message_zh: str, message_en: str, *, code: str = "conflict") -> AppError:
    return AppError(message_zh, message_en, code=code, status=409)


def forbidden(message_zh: str = "无权执行此操作", message_en: str = "not allowed", *, code: str = "forbidden") -> AppError:
    return AppError(message_zh, message_en, code=code, status=403)


def unauthorized(message_zh: str = "身份认证失败", message_en: str = "authentication failed", *, code: str = "unauthorized") -> AppError:
    return AppError(message_zh, message_en, code=code, status=401)


class AlreadyHandled(Exception):  # an outcome, not a failure: no Error suffix
    """Raised by a handler whose own write shows this very event was handled before (重复投递).

    For consumers that keep no claim records: the record the event creates has a natural unique key,
    so storing it is the idempotency check, and a redelivery is counted as a duplicate, not dead-lettered.
    """
