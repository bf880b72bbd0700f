"""What the intake use cases are asked to do (命令): one frozen dataclass per action, built by the entrypoints.

Accepting a contact takes `intake.domain.model.Contact` (来电/来信), the one command every channel
normalises its contact into; the domain's catalog checks it field by field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from intake.domain.model import ActiveOutage, Contact, Customer

__all__ = ["CloseTicket", "Contact", "EndOutage", "KnowOutage", "OutageCommand", "PublishArticle", "ReopenTicket", "RescopeOutage", "SearchArticles",
           "StartOutage", "UpsertCustomer"]


@dataclass(frozen=True)
class CloseTicket:
    """工单办结 (elsewhere, by dispatch): the order stops absorbing repeat contacts.

    `at` when it was closed: a reopening read before this closure but made after it is not undone.
    """

    ticket_id: str
    at: datetime | None = None


@dataclass(frozen=True)
class ReopenTicket:
    """工单重启 (by dispatch): the order is open again and absorbs the customer's repeat contacts again."""

    ticket_id: str
    at: datetime


@dataclass(frozen=True)
class KnowOutage:
    """停电信息发布: an outage announced; calls in its scope are linked to it once it is in effect."""

    outage: ActiveOutage


@dataclass(frozen=True)
class RescopeOutage:
    """停电信息变更: new values for some of an announced outage's plan fields (scope, times, cause)."""

    outage_id: str
    changes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StartOutage:
    """停电开始: the cut happened (it may be reported before its announcement arrives)."""

    outage_id: str


@dataclass(frozen=True)
class EndOutage:
    """停电结束: restored or cancelled; it links no more calls."""

    outage_id: str
    state: Literal["restored", "cancelled"]
    at: datetime | None


OutageCommand = KnowOutage | RescopeOutage | StartOutage | EndOutage


@dataclass(frozen=True)
class UpsertCustomer:
    """客户档案更新 (marketing system event or CSV import): kept unless a newer record is already stored."""

    customer: Customer
    updated_at: datetime


@dataclass(frozen=True)
class PublishArticle:
    """发布知识条目: a new version of an article (the version number is the next one)."""

    article_id: str
    title: str
    category: str
    body: str
    effective_from: datetime
    effective_to: datetime | None
    author: str


@dataclass(frozen=True)
class SearchArticles:
    """知识检索: free Chinese text, against the articles in effect at `at`."""

    text: str
    at: datetime
