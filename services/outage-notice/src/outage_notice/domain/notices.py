"""Customer notice planning (停电通知): who is told, on which channel, when, and never twice."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from outage_notice.domain.outage import Outage, OutageState


class NoticeKind(StrEnum):
    """通知类别 (values match the contracts' NoticePurpose)."""

    PUBLISHED = "outage_notice"  # 停电通知
    RENOTICE = "outage_renotice"  # 停电前再次提醒
    CHANGED = "outage_changed"  # 停电变更
    CANCELLED = "outage_cancelled"  # 停电取消
    RESTORATION = "restoration"  # 复电通知


@dataclass(frozen=True)
class QuietHours:
    """免打扰时段 (e.g. 22:00–07:00 Asia/Shanghai): non-urgent notices wait for its end."""

    start: time
    end: time
    tz: ZoneInfo

    def contains(self, at: datetime) -> bool:
        local = at.astimezone(self.tz).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def release_time(self, at: datetime) -> datetime:
        """When a notice held at `at` may go: `at` itself outside quiet hours, else the quiet end."""
        if not self.contains(at):
            return at
        local = at.astimezone(self.tz)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end


@dataclass(frozen=True)
class NoticeRules:
    """通知规则: quiet hours, how long before the cut the re-notice goes, the local time zone."""

    quiet: QuietHours
    renotice_before_minutes: int

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> NoticeRules:
        row = doc["settings"]
        tz = ZoneInfo(row["timezone"])
        quiet = QuietHours(time.fromisoformat(row["quiet_start"]), time.fromisoformat(row["quiet_end"]), tz)
        return cls(quiet, int(row["renotice_before_minutes"]))


@dataclass(frozen=True)
class Recipient:
    """A customer to tell, from the customer directory (用电客户)."""

    account_no: str
    phone: str | None
    preferred_channel: str
    channels: tuple[str, ...]
    important: bool = False
    dedicated_transformer: bool = False


@dataclass(frozen=True)
class Notice:
    """One message to one customer on one channel; (tenant, outage, kind, account, channel) is unique."""

    tenant: str
    outage_id: str
    kind: NoticeKind
    account_no: str
    channel: str
    due_at: datetime
    urgent: bool
    phone: str | None
    version: int = 0  # change notices are per announcement version: a second change is a new notice
    batch_id: str | None = None  # the stored batch it was claimed from (set by the queue, not by planning)

    @property
    def stored_kind(self) -> str:
        return f"{self.kind.value}.v{self.version}" if self.kind == NoticeKind.CHANGED else self.kind.value

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.tenant, self.outage_id, self.stored_kind, self.account_no, self.channel)


def notification_id(notice: Notice) -> str:
    """The id of a notice's result (notification.sent.v1): the same notice always gets the same id."""
    digest = hashlib.sha1("|".join(notice.key).encode()).hexdigest()[:20]
    return f"N-{notice.tenant}-{digest}"


def channels_for(recipient: Recipient) -> list[str]:
    """专变 and 重要 customers are told on every channel they have; others on their preferred one."""
    if recipient.important or recipient.dedicated_transformer:
        return list(dict.fromkeys((*recipient.channels, recipient.preferred_channel)))
    return [recipient.preferred_channel]


def is_urgent(kind: NoticeKind, outage: Outage, now: datetime, quiet: QuietHours) -> bool:
    """Urgent = waiting for the end of quiet hours would tell the customer too late."""
    if kind == NoticeKind.RESTORATION:
        return False
    if kind == NoticeKind.RENOTICE:
        return True
    deadline = outage.planned_start
    return quiet.release_time(now) >= deadline


def plan_notices(
    outage: Outage, kind: NoticeKind, recipients: Iterable[Recipient], *, now: datetime, rules: NoticeRules
) -> list[Notice]:
    """The notices to queue, each (customer, channel) once; non-urgent ones deferred past quiet hours."""
    urgent = is_urgent(kind, outage, now, rules.quiet)
    due = now if urgent else rules.quiet.release_time(now)
    planned: dict[tuple[str, ...], Notice] = {}
    for r in recipients:
        for channel in channels_for(r):
            notice = Notice(outage.tenant, outage.outage_id, kind, r.account_no, channel, due, urgent, r.phone, outage.version)
            planned.setdefault(notice.key, notice)
    return list(planned.values())


def renotice_due(outage: Outage, now: datetime, rules: NoticeRules) -> bool:
    """The 30-minute re-notice is due once, before the cut, unless the first notice went out inside that window."""
    if outage.state != OutageState.PUBLISHED or outage.renotice_done:
        return False
    window_opens = outage.planned_start - timedelta(minutes=rules.renotice_before_minutes)
    published_inside = outage.published_at is not None and outage.published_at >= window_opens
    return window_opens <= now < outage.planned_start and not published_inside
