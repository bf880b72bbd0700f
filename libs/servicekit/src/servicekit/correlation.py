"""The correlation id of the request or event being handled, carried in a context variable."""

from __future__ import annotations

import uuid
from contextvars import ContextVar

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def current() -> str | None:
    return _correlation_id.get()


def ensure() -> str:
    """The current id, or a new one bound to this context."""
    cid = _correlation_id.get()
    if cid is None:
        cid = str(uuid.uuid4())
        _correlation_id.set(cid)
    return cid


def bind(cid: str | None) -> object:
    """Bind `cid` (or a fresh id) and return the token for `reset`."""
    return _correlation_id.set(cid or str(uuid.uuid4()))


def reset(token: object) -> None:
    _correlation_id.reset(token)  # type: ignore[arg-type]
