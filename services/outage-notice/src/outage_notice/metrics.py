"""Business metrics of the outage-notice service (labels `service` and `tenant` always set)."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge

from outage_notice.domain.outage import Outage


class OutageMetrics:
    """hotline_active_outages, hotline_outage_customers_affected, hotline_notices_sent_total, hotline_late_outage_reports_total."""

    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        self.service = service
        self.active = Gauge("hotline_active_outages", "Published or started outages by type", ["service", "tenant", "type"], registry=registry)
        self.affected = Gauge("hotline_outage_customers_affected", "Customers inside current outages", ["service", "tenant"], registry=registry)
        self.sent = Counter(
            "hotline_notices_sent", "Customer notices by channel and result", ["service", "tenant", "channel", "result"], registry=registry
        )
        self.late = Counter(
            "hotline_late_outage_reports", "Outages reported later than the lead-time rule", ["service", "tenant", "unit"], registry=registry
        )
        self._types: dict[str, set[str]] = {}

    def late_report(self, tenant: str, unit: str) -> None:
        self.late.labels(self.service, tenant, unit).inc()

    def notice(self, tenant: str, channel: str, result: str) -> None:
        self.sent.labels(self.service, tenant, channel, result).inc()

    def current(self, tenant: str, outages: Iterable[Outage]) -> None:
        """Reset the gauges of one tenant from its current outages."""
        outages = list(outages)
        counts = Tally(o.outage_type for o in outages)
        for kind in self._types.get(tenant, set()) | set(counts):
            self.active.labels(self.service, tenant, kind).set(counts.get(kind, 0))
        self._types[tenant] = set(counts) | self._types.get(tenant, set())
        self.affected.labels(self.service, tenant).set(sum(o.affected_customers for o in outages))
