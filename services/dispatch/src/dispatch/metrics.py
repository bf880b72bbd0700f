"""Dispatch business metrics (names fixed in CONTRIBUTING.md), on the registry the runtime owns."""

from __future__ import annotations

from collections import Counter as Tally
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0)


@dataclass
class DispatchMetrics:
    queue_depth: Gauge
    dispatch_latency: Histogram
    warnings: Counter
    breaches: Counter
    crew_utilisation: Gauge
    _depth_series: dict[str, set[tuple[str, str]]] = field(default_factory=dict)

    def set_queue_depth(self, tenant: str, depth: Tally[tuple[str, str]]) -> None:
        """Replace one tenant's queue-depth series; states that emptied read 0, other tenants are untouched."""
        for unit, state in self._depth_series.get(tenant, set()) - set(depth):
            self.queue_depth.labels(tenant, unit, state).set(0)
        for (unit, state), count in depth.items():
            self.queue_depth.labels(tenant, unit, state).set(count)
        self._depth_series[tenant] = self._depth_series.get(tenant, set()) | set(depth)

    @classmethod
    def create(cls, registry: CollectorRegistry | None = None) -> DispatchMetrics:
        reg = registry or CollectorRegistry()
        return cls(
            queue_depth=Gauge("hotline_queue_depth", "Open work orders by unit and state", ["tenant", "unit", "state"], registry=reg),
            dispatch_latency=Histogram(
                "hotline_dispatch_latency_seconds", "ticket.created published → dispatch decision stored",
                ["tenant"], buckets=LATENCY_BUCKETS, registry=reg,
            ),
            warnings=Counter("hotline_timelimit_warnings", "Time-limit warnings raised", ["tenant", "level"], registry=reg),
            breaches=Counter("hotline_timelimit_breaches", "Time-limit breaches", ["tenant", "clock"], registry=reg),
            crew_utilisation=Gauge(
                "hotline_crew_utilisation", "Share of a station's crews holding at least one open order",
                ["tenant", "station"], registry=reg,
            ),
        )
