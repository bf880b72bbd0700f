"""Notice schedule: who is told on which channel, quiet hours, the 30-minute re-notice, never twice."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from outage_fixtures import TENANT
from outage_notice.commands import DeliverDueNotices, QueueRenotices, ReportOutage, RestoreOutage, StartOutage
from outage_notice.domain.notices import NoticeKind, QuietHours, Recipient, channels_for
from outage_notice.domain.outage import Scope
from outage_notice.notify import deliver_due, queue_renotices
from outage_notice.service import queue_notices, report_outage, restore_outage, start_outage

pytestmark = pytest.mark.unit
SHANGHAI = ZoneInfo("Asia/Shanghai")
QUIET = QuietHours(time(22), time(7), SHANGHAI)


def at_local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def outage(start: datetime, *, outage_type: str = "temporary") -> ReportOutage:
    return ReportOutage(
        outage_id="TD-9", outage_type=outage_type, scope=Scope(feeder_codes=("F-1",)), planned_start=start,
        planned_end=start + timedelta(hours=4), cause="线路抢修", reporting_unit="370102", reported_by="user:li",
    )


def test_important_and_dedicated_customers_get_every_channel_others_their_preferred_one():
    vip = Recipient("1", "13800000001", "sms", ("sms", "wechat", "voice"), important=True)
    dedicated = Recipient("2", "13800000002", "app", ("sms", "app"), dedicated_transformer=True)
    resident = Recipient("3", "13800000003", "wechat", ("sms", "wechat"))
    assert channels_for(vip) == ["sms", "wechat", "voice"]
    assert channels_for(dedicated) == ["sms", "app"]
    assert channels_for(resident) == ["wechat"]


def test_quiet_hours_span_midnight_and_release_at_seven_local():
    assert QUIET.contains(at_local(20, 23)) and QUIET.contains(at_local(21, 6, 59))
    assert not QUIET.contains(at_local(21, 7)) and not QUIET.contains(at_local(20, 21, 59))
    assert QUIET.release_time(at_local(20, 23)) == at_local(21, 7)
    assert QUIET.release_time(at_local(21, 2)) == at_local(21, 7)
    assert QUIET.release_time(at_local(21, 12)) == at_local(21, 12)


async def test_a_planned_outage_published_at_night_is_deferred_to_the_end_of_quiet_hours(deps, clock):
    clock.current = at_local(20, 23)
    await report_outage(TENANT, outage(at_local(28, 8), outage_type="planned"), deps=deps)
    assert await deliver_due(TENANT, DeliverDueNotices(), deps=deps) == 0
    clock.current = at_local(21, 7)
    sent = await deliver_due(TENANT, DeliverDueNotices(), deps=deps)
    # two residents on their preferred channel, the important customer on all three channels
    assert sent == 5
    assert {(n.account_no, n.channel) for n, _ in deps.gateway.sent} == {
        ("3701020001", "sms"), ("3701020002", "wechat"),
        ("3701020003", "sms"), ("3701020003", "wechat"), ("3701020003", "voice"),
    }
    text = deps.gateway.sent[0][1]
    assert "线路抢修" in text and "11月28日08:00" in text


async def test_an_outage_cutting_before_quiet_hours_end_is_urgent_and_sent_at_night(deps, clock):
    clock.current = at_local(20, 23)
    await report_outage(TENANT, outage(at_local(21, 1)), deps=deps)
    assert await deliver_due(TENANT, DeliverDueNotices(), deps=deps) == 5


async def test_renotice_goes_30_minutes_before_the_cut_once_and_restoration_waits_for_daytime(deps, clock):
    clock.current = at_local(20, 9)
    await report_outage(TENANT, outage(at_local(20, 14)), deps=deps)
    await deliver_due(TENANT, DeliverDueNotices(), deps=deps)
    clock.current = at_local(20, 13, 29)
    assert await queue_renotices(TENANT, QueueRenotices(), deps=deps) == 0
    clock.current = at_local(20, 13, 30)
    assert await queue_renotices(TENANT, QueueRenotices(), deps=deps) == 5
    clock.advance(minutes=1)
    assert await queue_renotices(TENANT, QueueRenotices(), deps=deps) == 0  # once
    await deliver_due(TENANT, DeliverDueNotices(), deps=deps)
    kinds = [n.kind for n, _ in deps.gateway.sent]
    assert kinds.count(NoticeKind.PUBLISHED) == 5 and kinds.count(NoticeKind.RENOTICE) == 5

    clock.current = at_local(20, 14)
    await start_outage(TENANT, StartOutage("TD-9", "crew:1"), deps=deps)
    clock.current = at_local(20, 23, 30)
    await restore_outage(TENANT, RestoreOutage("TD-9", "crew:1"), deps=deps)
    assert await deliver_due(TENANT, DeliverDueNotices(), deps=deps) == 0
    clock.current = at_local(21, 7)
    assert await deliver_due(TENANT, DeliverDueNotices(), deps=deps) == 5
    assert "23:30恢复供电" in deps.gateway.sent[-1][1]


async def test_no_customer_gets_the_same_notice_twice(deps, clock):
    clock.current = at_local(20, 9)
    done = await report_outage(TENANT, outage(at_local(20, 14)), deps=deps)
    async with deps.uow(TENANT) as uow:
        everyone = await deps.directory.affected(TENANT, done.scope)
        planned = await queue_notices(uow, done, NoticeKind.PUBLISHED, everyone, deps=deps)
        await uow.commit()
    assert (planned, uow.notices.queued) == (5, 0)
    await deliver_due(TENANT, DeliverDueNotices(), deps=deps)
    assert await deliver_due(TENANT, DeliverDueNotices(), deps=deps) == 0
    keys = [(n.account_no, n.channel, n.kind) for n, _ in deps.gateway.sent]
    assert len(keys) == len(set(keys)) == 5


async def test_results_are_announced_with_masked_recipients(deps, store, clock):
    clock.current = at_local(20, 9)
    deps.gateway.fail_accounts.add("3701020001")
    await report_outage(TENANT, outage(at_local(20, 14)), deps=deps)
    await deliver_due(TENANT, DeliverDueNotices(), deps=deps)
    sent = [e.data for e in store.outbox.published if e.type == "cn.95598.notification.sent.v1"]
    assert len(sent) == 5
    failed = [s for s in sent if s.result == "failed"]
    assert [s.account_no for s in failed] == ["3701020001"]
    sms = next(s for s in sent if s.channel == "sms" and s.account_no == "3701020003")
    assert sms.recipient_masked == "138****0003"
