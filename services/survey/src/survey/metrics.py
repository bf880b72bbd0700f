"""Survey business metrics (回访指标), named as in CONTRIBUTING.md, on the app's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class SurveyMetrics:
    """Return visits by result, and each tenant's satisfaction ratio."""

    def __init__(self, registry: CollectorRegistry, service: str = "survey") -> None:
        self.service = service
        self._visits = Counter(
            "hotline_return_visits", "Return visits completed, by result", ["service", "tenant", "result"], registry=registry
        )
        self._ratio = Gauge(
            "hotline_satisfaction_ratio",
            "(satisfied + fairly satisfied) / surveyed, over all recorded visits",
            ["service", "tenant"],
            registry=registry,
        )

    def visit_completed(self, tenant: str, result: str) -> None:
        self._visits.labels(self.service, tenant, result).inc()

    def satisfaction(self, tenant: str, ratio: float | None) -> None:
        # No series before the first answer: a 0 would read as "everyone unhappy" on the dashboard.
        if ratio is not None:
            self._ratio.labels(self.service, tenant).set(ratio)
