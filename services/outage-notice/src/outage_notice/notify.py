"""Scheduled use cases (定时任务): the re-notice before the cut and delivery of due notices through the gateway."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from hotline_contracts.events.common import NotificationResult, NotifyChannel
from hotline_contracts.events.notification import NoticePurpose, NotificationSentV1
from outage_notice.commands import DeliverDueNotices, QueueRenotices
from outage_notice.deps import Deps
from outage_notice.domain.notices import Notice, NoticeKind, NoticeRules, notification_id, renotice_due
from outage_notice.domain.outage import Outage
from outage_notice.domain.texts import notice_text
from outage_notice.service import NOTICE, queue_notices
from servicekit.masking import mask_phone

__all__ = ["deliver_due", "masked_recipient", "notification_id", "queue_renotices"]


async def queue_renotices(tenant: str, cmd: QueueRenotices, *, deps: Deps) -> int:
    """再次提醒: for each published outage whose cut is within the re-notice window, once; returns notices queued."""
    now = deps.clock.now()
    rules = NoticeRules.from_doc(await deps.rules.active_version(tenant, NOTICE, now))
    queued = 0
    for outage in await deps.index.current(tenant):
        if not renotice_due(outage, now, rules):
            continue
        async with deps.uow(tenant) as uow:  # the mark is written after the notices: a crash between queues them again, once
            await queue_notices(uow, outage, NoticeKind.RENOTICE, await deps.directory.affected(tenant, outage.scope), deps=deps)
            uow.outages.mark_renotice_done(outage.outage_id)
            await uow.commit()
        queued += uow.notices.queued
        deps.index.put(replace(outage, renotice_done=True))
    return queued


async def deliver_due(tenant: str, cmd: DeliverDueNotices, *, deps: Deps) -> int:
    """Send the notices whose time has come; each result is stored with its announcement (masked) and counted."""
    now = deps.clock.now()
    outages: dict[str, Outage | None] = {}
    sent = 0
    async with deps.uow(tenant) as uow:
        results = []
        for notice in await uow.claim_due(now, cmd.limit):
            if notice.outage_id not in outages:
                outages[notice.outage_id] = await deps.outages.get(tenant, notice.outage_id)
            outage = outages[notice.outage_id]
            if outage is None:  # deleted under us: close the notice rather than leave it claimed forever
                results.append((notice, "suppressed", "停电信息不存在"))
                continue
            delivery = await deps.gateway.send(notice, notice_text(notice.kind, outage, deps.tz))
            results.append((notice, delivery.result, delivery.detail))
            if deps.metrics is not None:
                deps.metrics.notice(tenant, notice.channel, delivery.result)
            uow.record(_sent_event(notice, delivery.result, delivery.detail, delivery.provider_message_id, now),
                       subject=notification_id(notice))
            sent += 1
        uow.notices.finish(results, now)
        await uow.commit()
    return sent


def masked_recipient(notice: Notice) -> str:
    if notice.channel in ("sms", "voice") and notice.phone:
        return mask_phone(notice.phone) or "***"
    return f"{notice.channel}:{notice.account_no[:4]}****{notice.account_no[-2:]}"


def _sent_event(notice: Notice, result: str, detail: str | None, provider_id: str | None, now: datetime) -> NotificationSentV1:
    return NotificationSentV1(
        notification_id=notification_id(notice), account_no=notice.account_no, channel=NotifyChannel(notice.channel),
        result=NotificationResult(result), recipient_masked=masked_recipient(notice),
        detail=detail if result != "sent" else None, provider_message_id=provider_id, at=now,
        purpose=NoticePurpose(notice.kind.value), outage_id=notice.outage_id,
    )
