"""The one event envelope: CloudEvents 1.0 attribute names plus tenant and correlation id."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator


class EventData(BaseModel):
    """Base of every versioned event payload.

    Subclasses set `event_name` (dotted, past tense, e.g. ``ticket.created``) and
    `event_version`; the registry derives the CloudEvents `type` and the topic from them.
    Unknown fields are refused so a producer's typo never passes silently.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_name: ClassVar[str] = ""
    event_version: ClassVar[int] = 1

    @classmethod
    def cloudevent_type(cls) -> str:
        return f"cn.95598.{cls.event_name}.v{cls.event_version}"

    @classmethod
    def topic(cls) -> str:
        return f"{cls.event_name}.v{cls.event_version}"


DataT = TypeVar("DataT", bound=EventData)


def _new_id() -> str:
    return str(uuid.uuid4())


def _now() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel, Generic[DataT]):
    """CloudEvents 1.0 structured-mode event with the platform's tenant and correlation id.

    `id` is unique per event, so a consumer that remembers processed ids is idempotent.
    `type` must name the payload's class: a ticket.closed payload under a ticket.created type
    is refused. Parsing fills nothing in: `specversion` ("1.0"), `id`, `source`, `type`, `time`,
    `tenant` and `correlation_id` must be in the message (an event without an id would be applied
    again on every redelivery). `make_event` is where new events get a fresh id and time.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    specversion: Literal["1.0"]
    id: str = Field(min_length=1, max_length=128)
    source: str = Field(min_length=1, max_length=256, examples=["/hotline/intake"])
    type: str = Field(min_length=1, max_length=128, examples=["cn.95598.ticket.created.v1"])
    subject: str | None = Field(default=None, max_length=256)
    time: AwareDatetime
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = None
    tenant: str = Field(pattern=r"^\d{2}(\d{2}(\d{2})?)?$", examples=["370102"])
    correlation_id: str = Field(min_length=1, max_length=128)
    data: DataT

    @model_validator(mode="after")
    def _type_matches_data(self) -> Envelope[DataT]:
        data_cls = type(self.data)
        if data_cls.event_name and self.type != data_cls.cloudevent_type():
            raise ValueError(
                f"type {self.type!r} does not match the payload {data_cls.__name__} "
                f"({data_cls.cloudevent_type()!r})"
            )
        return self


def make_event(
    data: EventData,
    *,
    tenant: str,
    source: str,
    correlation_id: str | None = None,
    subject: str | None = None,
    time: datetime | None = None,
    event_id: str | None = None,
) -> Envelope[Any]:
    """Wrap `data` in an envelope whose `type` and `dataschema` come from the data's class.

    A new event gets a fresh id (uuid4) and the current time unless `event_id` / `time` are given.
    """
    fields: dict[str, Any] = {
        "specversion": "1.0",
        "id": event_id if event_id is not None else _new_id(),
        "source": source,
        "type": data.cloudevent_type(),
        "subject": subject,
        "tenant": tenant,
        "correlation_id": correlation_id or _new_id(),
        "dataschema": f"urn:95598:schema:{data.topic()}",
        "time": time if time is not None else _now(),
        "data": data,
    }
    model = type(data)
    envelope: type[Envelope[Any]] = Envelope[model]  # type: ignore[valid-type]  # parametrised at run time, by the data's class
    return envelope(**fields)
