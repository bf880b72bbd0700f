"""The technical metrics every service exposes, on a registry owned by the app (never the global one)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass
class StandardMetrics:
    """HTTP, event, dead-letter and outbox metrics with the names fixed in CONTRIBUTING.md."""

    registry: CollectorRegistry
    http_requests: Counter
    http_duration: Histogram
    events_consumed: Counter
    events_published: Counter
    dead_letters: Counter
    consumer_lag: Gauge
    outbox_backlog: Gauge
    outbox_oldest_age: Gauge

    @classmethod
    def create(cls, service: str, registry: CollectorRegistry | None = None) -> StandardMetrics:
        reg = registry or CollectorRegistry()
        labels = {"service": service}

        def counter(name: str, doc: str, names: list[str]) -> Counter:
            return Counter(name, doc, ["service", *names], registry=reg)

        return cls(
            registry=reg,
            http_requests=counter("hotline_http_requests", "HTTP requests by route and status", ["method", "route", "status"]),
            http_duration=Histogram(
                "hotline_http_request_duration_seconds",
                "HTTP request duration",
                ["service", "method", "route"],
                buckets=LATENCY_BUCKETS,
                registry=reg,
            ),
            events_consumed=counter("hotline_events_consumed", "Events consumed by result", ["topic", "result"]),
            events_published=counter("hotline_events_published", "Events published", ["topic"]),
            dead_letters=counter("hotline_dead_letters", "Events sent to the dead-letter topic", ["topic", "reason"]),
            consumer_lag=Gauge("hotline_consumer_lag", "Messages behind, by topic", ["service", "topic"], registry=reg),
            outbox_backlog=Gauge("hotline_outbox_backlog", "Events stored but not yet published", ["service"], registry=reg).labels(**labels),
            outbox_oldest_age=Gauge(
                "hotline_outbox_oldest_age_seconds", "Age of the oldest unpublished event", ["service"], registry=reg
            ).labels(**labels),
        )
