"""What the use cases and entrypoints share (依赖): the aggregate store, the org tree, the report limits."""

from __future__ import annotations

from dataclasses import dataclass

from analytics.ports import AggregateStore, TreeSource


@dataclass
class Deps:
    """Built by `analytics.bootstrap`: MongoDB adapters (`bootstrap`) or in-memory fakes (`fake_bootstrap`).

    Analytics publishes nothing of its own, so it has no unit of work; its counters are idempotent per fact.
    """

    hosted: list[str]
    store: AggregateStore
    tree: TreeSource
    report_max_days: int = 366  # longest date range one summary or export may cover
    export_max_rows: int = 50_000  # most rows in one export
