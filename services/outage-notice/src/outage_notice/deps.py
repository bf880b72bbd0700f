"""What the use cases are given (依赖): built once by `bootstrap` (MongoDB) or `fake_bootstrap` (in memory)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from outage_notice.index import OutageIndex
from outage_notice.metrics import OutageMetrics
from outage_notice.ports import Clock, CustomerDirectory, NoticeGateway, NoticeLedger, OutageCalls, OutageReader
from outage_notice.uow import OutageUnitOfWork
from servicekit.rules import RuleStore


@dataclass
class Deps:
    """The unit-of-work factory (every write and its events), read-only ports, the gateway, clock and metrics."""

    uow: Callable[[str], OutageUnitOfWork]
    outages: OutageReader
    notices: NoticeLedger
    directory: CustomerDirectory
    rules: RuleStore  # servicekit.rules: the lead-time and notice tables
    gateway: NoticeGateway
    clock: Clock
    index: OutageIndex
    calls: OutageCalls  # repair calls linked to each outage (counted once per ticket)
    metrics: OutageMetrics | None = None
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
