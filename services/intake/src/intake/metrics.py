"""Intake business metrics (受理指标), named as in CONTRIBUTING.md, on the app's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class IntakeMetrics:
    """Contacts by channel and type, orders created, outage-linked calls, repeat contacts."""

    def __init__(self, registry: CollectorRegistry, service: str = "intake") -> None:
        self.service = service
        self._contacts = Counter("hotline_contacts", "Contacts by channel and business type", ["service", "tenant", "channel", "business_type"], registry=registry)
        self._created = Counter("hotline_tickets_created", "Work orders created", ["service", "tenant", "business_type"], registry=registry)
        self._linked = Counter("hotline_outage_linked_calls", "Repair calls linked to a known outage", ["service", "tenant"], registry=registry)
        self._repeats = Counter("hotline_repeat_contacts", "Repeat contacts attached to open orders", ["service", "tenant"], registry=registry)

    def contact(self, tenant: str, channel: str, business_type: str) -> None:
        self._contacts.labels(self.service, tenant, channel, business_type).inc()

    def created(self, tenant: str, business_type: str) -> None:
        self._created.labels(self.service, tenant, business_type).inc()

    def outage_linked(self, tenant: str) -> None:
        self._linked.labels(self.service, tenant).inc()

    def repeat(self, tenant: str) -> None:
        self._repeats.labels(self.service, tenant).inc()
