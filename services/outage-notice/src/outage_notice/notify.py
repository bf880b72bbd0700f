"""Scheduled work (定时任务): the re-notice before the cut and delivery of due notices through the gateway."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import replace
from datetime import datetime

from hotline_contracts.events.common import NotificationResult, NotifyChannel
from hotline_contracts.events.notification import NotificationSentV1
from outage_notice.domain.notices import Notice, NoticeKind, NoticeRules, renotice_due
from outage_notice.domain.outage import Outage
from outage_notice.domain.texts import notice_text
from outage_notice.service import NOTICE, Deps, queue_notices
from servicekit.masking import mask_phone

PUBLISH_CONCURRENCY = 200


async def queue_renotices(tenant: str, *, deps: Deps) -> int:
    """再次提醒: for each published outage whose cut is within the re-notice window, once."""
    now = deps.clock.now()
    rules = NoticeRules.from_doc(await deps.rules.effective(tenant, NOTICE, now))
    queued = 0
    for outage in await deps.index.current(tenant):
        if not renotice_due(outage, now, rules):
            continue
        queued += await queue_notices(outage, NoticeKind.RENOTICE, await deps.directory.affected(tenant, outage.scope), deps=deps)
        await deps.outages.mark_renotice_done(tenant, outage.outage_id)
        deps.index.put(replace(outage, renotice_done=True))
    return queued


async def deliver_due(tenant: str, *, deps: Deps, limit: int = 500) -> int:
    """Send the notices whose time has come; each result is stored, counted and announced (masked)."""
    now = deps.clock.now()
    due = await deps.notices.claim_due(tenant, now, limit)
    outages: dict[str, Outage | None] = {}
    results, finished = [], []
    for notice in due:
        if notice.outage_id not in outages:
            outages[notice.outage_id] = await deps.outages.get(tenant, notice.outage_id)
        outage = outages[notice.outage_id]
        if outage is None:  # deleted under us: close the notice rather than leave it claimed forever
            finished.append((notice, "suppressed", "停电信息不存在"))
            continue
        delivery = await deps.gateway.send(notice, notice_text(notice.kind, outage, deps.tz))
        finished.append((notice, delivery.result, delivery.detail))
        if deps.metrics is not None:
            deps.metrics.notice(tenant, notice.channel, delivery.result)
        results.append(_sent_event(notice, delivery.result, delivery.detail, delivery.provider_message_id, now))
    await deps.notices.finish(tenant, finished, now)
    for start in range(0, len(results), PUBLISH_CONCURRENCY):
        batch = results[start : start + PUBLISH_CONCURRENCY]
        await asyncio.gather(*(deps.emit(tenant, data, data.notification_id) for data in batch))
    return len(results)


def notification_id(notice: Notice) -> str:
    digest = hashlib.sha1("|".join(notice.key).encode()).hexdigest()[:20]
    return f"N-{notice.tenant}-{digest}"


def masked_recipient(notice: Notice) -> str:
    if notice.channel in ("sms", "voice") and notice.phone:
        return mask_phone(notice.phone) or "***"
    return f"{notice.channel}:{notice.account_no[:4]}****{notice.account_no[-2:]}"


def _sent_event(notice: Notice, result: str, detail: str | None, provider_id: str | None, now: datetime) -> NotificationSentV1:
    return NotificationSentV1(
        notification_id=notification_id(notice), account_no=notice.account_no, channel=NotifyChannel(notice.channel),
        result=NotificationResult(result), recipient_masked=masked_recipient(notice),
        detail=detail if result != "sent" else None, provider_message_id=provider_id, at=now,
    )
