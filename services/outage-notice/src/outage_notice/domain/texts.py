"""Notice texts (通知文案) read by customers; never a phone number in them."""

from __future__ import annotations

from datetime import datetime, tzinfo

from outage_notice.domain.notices import NoticeKind
from outage_notice.domain.outage import Outage

SIGNATURE = "【95598】"


def _when(value: datetime | None, tz: tzinfo) -> str:
    if value is None:
        return "待定"
    local = value.astimezone(tz)
    return f"{local.month}月{local.day}日{local:%H:%M}"


def notice_text(kind: NoticeKind, outage: Outage, tz: tzinfo) -> str:
    """The message for one notice kind, filled from the outage as it stands now."""
    start, end = _when(outage.planned_start, tz), _when(outage.planned_end, tz)
    where = outage.scope.area or "您所在区域"
    if kind == NoticeKind.PUBLISHED:
        return f"{SIGNATURE}尊敬的客户：因{outage.cause}，{start}至{end}，{where}停电，请提前做好准备。"
    if kind == NoticeKind.RENOTICE:
        return f"{SIGNATURE}温馨提示：{where}将于{start}停电（{outage.cause}），预计{end}恢复供电。"
    if kind == NoticeKind.CHANGED:
        return f"{SIGNATURE}停电信息变更：{where}停电时间调整为{start}至{end}，原因：{outage.cause}。"
    if kind == NoticeKind.CANCELLED:
        return f"{SIGNATURE}原定{start}{where}的停电已取消，给您带来不便敬请谅解。"
    return f"{SIGNATURE}{where}已于{_when(outage.restored_at, tz)}恢复供电，感谢您的理解与支持。"


def announcement(outage: Outage, tz: tzinfo) -> str:
    """公告正文 for the published event and the public page."""
    end = _when(outage.planned_end, tz)
    where = outage.scope.area or "相关区域"
    return f"因{outage.cause}，{_when(outage.planned_start, tz)}至{end}，{where}停电，请提前做好准备。"
