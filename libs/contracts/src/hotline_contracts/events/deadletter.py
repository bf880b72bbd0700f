"""Dead-letter records: an event a consumer could not accept, with the reason."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from hotline_contracts.envelope import EventData


class DeadLetteredV1(EventData):
    """死信: a message refused by a consumer, kept whole with why it was refused."""

    event_name: ClassVar[str] = "deadletter"
    event_version: ClassVar[int] = 1

    original_topic: str
    consumer: str = Field(examples=["dispatch"])
    reason: str = Field(examples=["validation_failed"])
    errors: list[dict[str, str]] = Field(default_factory=list)
    payload: str = Field(description="the original message, decoded as UTF-8 with replacement")
    received_at: datetime
