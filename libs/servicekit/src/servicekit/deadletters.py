"""Dead letters: what a consumer refuses goes to `deadletter.v1` with the reason, and always fits the broker's limit."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hotline_contracts import Envelope, make_event
from hotline_contracts.events.deadletter import DeadLetteredV1
from servicekit import correlation
from servicekit.settings import ServiceSettings

if TYPE_CHECKING:
    from servicekit.kafka import EventPublisher

log = logging.getLogger(__name__)

DEAD_LETTER_TOPIC = DeadLetteredV1.topic()
# The producer's max_request_size (servicekit.kafka.make_broker): no record larger than this can be
# published, so a consumed event larger than this is refused as `oversized` before it is parsed.
MAX_EVENT_BYTES = 1024 * 1024
# A dead-letter record's budget: the limit less room for its key, headers and record framing.
DEAD_LETTER_MAX_BYTES = MAX_EVENT_BYTES - 16 * 1024
# What a record too large to keep whole still holds: the payload's first bytes and the first errors.
PAYLOAD_EXCERPT_BYTES = 64 * 1024
ERRORS_KEPT = 50
ERROR_TEXT_KEPT = 256


def _clipped(errors: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{k: str(v)[:ERROR_TEXT_KEPT] for k, v in e.items()} for e in errors[:ERRORS_KEPT]]


class DeadLetterPublisher:
    """Sends what a consumer refuses to `deadletter.v1` with the reason (死信); nothing is dropped.

    The payload is kept whole when the record fits the producer's limit; otherwise (an oversized
    event, or one whose escaped payload and errors outgrow the limit) the record keeps the payload's
    first `PAYLOAD_EXCERPT_BYTES`, marked `payload_truncated`. Every record carries the original
    size and sha256, so a truncated one can still be matched to the message it came from.
    """

    def __init__(self, publisher: EventPublisher, settings: ServiceSettings) -> None:
        self.publisher = publisher
        self.service = settings.service_name
        self.fallback_tenant = settings.hosted_tenants[0]
        self.audit: Any = None  # servicekit.audit.AuditLog, set by the HTTP shell

    def audit_refused(self, envelope: Envelope[Any], topic: str, reason: str) -> None:
        """Record an event refused for its tenant under this deployment's first hosted tenant (best effort)."""
        if self.audit is None:
            return
        detail = {"claimed_tenant": envelope.tenant, "source": envelope.source, "type": envelope.type}
        self.audit.record_refusal(
            self.fallback_tenant, actor=None, action=f"event.consume:{topic}", target=envelope.id, result=reason, detail=detail
        )

    def record(
        self, *, topic: str, payload: bytes, reason: str, errors: list[dict[str, str]] | None = None, tenant: str | None = None
    ) -> Envelope[Any]:
        """The dead-letter event for `payload`, truncated when whole it would not fit `DEAD_LETTER_MAX_BYTES`."""
        errors = errors or []
        digest = hashlib.sha256(payload).hexdigest()
        if len(payload) <= DEAD_LETTER_MAX_BYTES:
            whole = self._envelope(topic, payload, reason, errors, tenant, digest, len(payload), truncated=False)
            if len(whole.model_dump_json().encode()) <= DEAD_LETTER_MAX_BYTES:
                return whole
        excerpt = payload[:PAYLOAD_EXCERPT_BYTES]
        return self._envelope(topic, excerpt, reason, _clipped(errors), tenant, digest, len(payload), truncated=True)

    def _envelope(
        self, topic: str, payload: bytes, reason: str, errors: list[dict[str, str]], tenant: str | None,
        digest: str, size: int, *, truncated: bool,
    ) -> Envelope[Any]:
        data = DeadLetteredV1(
            original_topic=topic,
            consumer=self.service,
            reason=reason,
            errors=errors,
            payload=payload.decode("utf-8", errors="replace"),
            payload_truncated=truncated,
            original_size=size,
            payload_sha256=digest,
            received_at=datetime.now(UTC),
        )
        return make_event(
            data, tenant=tenant or self.fallback_tenant, source=f"/hotline/{self.service}", correlation_id=correlation.ensure()
        )

    async def send(
        self, *, topic: str, payload: bytes, reason: str, errors: list[dict[str, str]] | None = None, tenant: str | None = None
    ) -> None:
        """Publish the record and count it in `hotline_dead_letters_total{topic,reason}`."""
        envelope = self.record(topic=topic, payload=payload, reason=reason, errors=errors, tenant=tenant)
        await self.publisher.publish(envelope)
        self.publisher.metrics.dead_letters.labels(self.service, topic, reason).inc()
        log.warning(
            "event dead-lettered",
            extra={"topic": topic, "reason": reason, "size": len(payload), "truncated": envelope.data.payload_truncated},
        )
