"""What the intake use cases and entrypoints share (依赖): typed ports, built once by `intake.bootstrap`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from intake.metrics import IntakeMetrics
from intake.ports import (
    ActiveOutages,
    AuditSink,
    CachedRuleStore,
    CustomerDirectory,
    KnowledgeStore,
    OrderNumbers,
    OutageCalls,
    OutageProjection,
    TicketRepository,
)
from intake.routing import TenantRouting
from servicekit.rules import RuleStore


@dataclass
class Deps:
    """MongoDB adapters (`bootstrap`) or in-memory fakes (`fake_bootstrap`).

    `tickets` is intake's unit of work: an order, or a repeat contact, is stored in one write together
    with its events and handed to the runtime's outbox relay (`insert`, `attach_contact`). Order
    creation is the hot path, so it takes no unit-of-work object per order.
    """

    hosted: list[str]
    tickets: TicketRepository
    customers: CustomerDirectory
    outages: ActiveOutages  # read per repair call (cached)
    outage_projection: OutageProjection  # what the outage events keep current
    calls: OutageCalls
    numbers: OrderNumbers
    rules: CachedRuleStore  # the rows hot paths read, cached around `rules_admin`
    rules_admin: RuleStore  # servicekit.rules: versions in force, validated and audited saves
    knowledge: KnowledgeStore
    audit: AuditSink
    routing: TenantRouting
    metrics: IntakeMetrics
    clock: Callable[[], datetime]
    stop_background: Callable[[], Awaitable[None]] | None = None  # flushes audit records and call counts at shutdown
