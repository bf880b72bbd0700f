"""Dead-letter records: an event a consumer could not accept, with the reason."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from hotline_contracts.envelope import EventData


class DeadLetteredV1(EventData):
    """死信: a message refused by a consumer, with why it was refused.

    The payload is kept whole unless the record would outgrow the broker's message size limit
    (an `oversized` event, for one): then it holds the payload's first bytes, `payload_truncated`
    is true, and `original_size` and `payload_sha256` still identify the whole message.
    """

    event_name: ClassVar[str] = "deadletter"
    event_version: ClassVar[int] = 1

    original_topic: str
    consumer: str = Field(examples=["dispatch"])
    reason: str = Field(examples=["validation_failed"])
    errors: list[dict[str, str]] = Field(default_factory=list)
    payload: str = Field(description="the original message, decoded as UTF-8 with replacement")
    payload_truncated: bool = Field(default=False, description="true when `payload` holds only the message's first bytes")
    original_size: int | None = Field(default=None, ge=0, description="the original message's size in bytes")
    payload_sha256: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 of the original message's bytes"
    )
    received_at: datetime
